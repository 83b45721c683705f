import { z } from 'zod';
import type { EventId, ExternalProductId, ExternalVariantId, ProfileId, StoreId } from './ids.ts';
import type { ProfileIdentity } from './profile.ts';

/** The metrics the engine knows by name; any other name is a custom metric. */
export const Metrics = {
  viewedProduct: 'Viewed Product',
  addedToCart: 'Added to Cart',
  startedCheckout: 'Started Checkout',
  orderedProduct: 'Ordered Product',
  placedOrder: 'Placed Order',
  fulfilledOrder: 'Fulfilled Order',
  cancelledOrder: 'Cancelled Order',
  refundedOrder: 'Refunded Order',
} as const;
export type KnownMetric = (typeof Metrics)[keyof typeof Metrics];

export type EventItemInput = {
  productExternalId: ExternalProductId | null;
  variantExternalId: ExternalVariantId | null;
  quantity: number;
  price: number | null;
};

/** An event in the common model as a connector hands it to ingest. */
export type EventInput = {
  metric: string;
  profile: ProfileIdentity;
  time: Date;
  value: number | null;
  properties: Record<string, unknown>;
  items: EventItemInput[];
  /** Dedupe key; when the source has none, ingest derives one from the event's content. */
  uniqueId?: string | undefined;
  /**
   * Properties a later copy under the same uniqueId may add when the stored event lacks them
   * (absent or null). Everything else the first copy stored stands: flows already entered on it.
   */
  fillable?: readonly string[] | undefined;
};

export type StoredEvent = {
  id: EventId;
  storeId: StoreId;
  metric: string;
  time: Date;
  value: number | null;
  properties: Record<string, unknown>;
  profile: { id: ProfileId; email: string | null; phone: string | null };
  items: Array<{ productId: string | null; variantId: string | null; quantity: number; price: number | null }>;
};
