// Shapes of the Wix webhook payloads we read, as documented for REST webhooks (ids are `id`,
// dates `createdDate`). Only the fields we use are named; everything else passes through.
import { z } from 'zod';

const id = z.string().trim().min(1).max(255);

/** A standardised ("domain") event: the event id plus the entity in one of four wrappers. */
export const DomainEvent = z.looseObject({
  id,
  entityId: z.string().optional(),
  slug: z.string().optional(),
  eventTime: z.string().optional(),
  createdEvent: z.looseObject({ entity: z.unknown().optional(), entityAsJson: z.unknown().optional() }).optional(),
  updatedEvent: z.looseObject({ currentEntity: z.unknown().optional(), currentEntityAsJson: z.unknown().optional() }).optional(),
  deletedEvent: z.looseObject({ deletedEntity: z.unknown().optional(), deletedEntityAsJson: z.unknown().optional() }).optional(),
  actionEvent: z.looseObject({ body: z.unknown().optional(), bodyAsJson: z.unknown().optional() }).optional(),
});
export type DomainEvent = z.infer<typeof DomainEvent>;

/** Some payloads carry the entity as a JSON string (`…AsJson`), others as an object. */
function asObject(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return undefined;
  }
}

/** The entity a domain event is about, whichever wrapper Wix put it in. */
export function eventEntity(e: DomainEvent): unknown {
  return (
    asObject(e.createdEvent?.entity ?? e.createdEvent?.entityAsJson) ??
    asObject(e.updatedEvent?.currentEntity ?? e.updatedEvent?.currentEntityAsJson) ??
    asObject(e.deletedEvent?.deletedEntity ?? e.deletedEvent?.deletedEntityAsJson) ??
    asObject(e.actionEvent?.body ?? e.actionEvent?.bodyAsJson)
  );
}

/** Catalog V1 product and inventory events name the product only. */
export const V1ProductRef = z.looseObject({ productId: id });
export const V1InventoryRef = z.looseObject({ productId: id.optional(), externalId: id.optional() }).refine(
  (v) => v.productId || v.externalId,
  'needs productId',
);

/** Catalog V3 inventory item: one variant at one location. */
export const V3InventoryItemRef = z.looseObject({ productId: id });

const money = z.looseObject({ amount: z.string().optional() });

const CatalogReference = z.looseObject({
  catalogItemId: z.string().optional(),
  appId: z.string().optional(),
  options: z.looseObject({ variantId: z.string().optional() }).nullish(),
});

const LineItem = z.looseObject({
  id: z.string().optional(),
  quantity: z.number().int().optional(),
  catalogReference: CatalogReference.optional(),
  productName: z.looseObject({ original: z.string().optional() }).optional(),
  price: money.optional(),
  url: z.string().optional(),
  image: z.string().optional(),
});
export type WixLineItem = z.infer<typeof LineItem>;

const BuyerInfo = z.looseObject({
  email: z.string().nullish(),
  contactId: z.string().nullish(),
  memberId: z.string().nullish(),
  visitorId: z.string().nullish(),
});

const PriceSummary = z.looseObject({ subtotal: money.optional(), total: money.optional() });

export const Checkout = z.looseObject({
  id,
  lineItems: z.array(LineItem).max(1000).default([]),
  buyerInfo: BuyerInfo.optional(),
  billingInfo: z.looseObject({ contactDetails: z.looseObject({ phone: z.string().nullish() }).optional() }).optional(),
  priceSummary: PriceSummary.optional(),
  currency: z.string().optional(),
  completed: z.boolean().optional(),
  createdDate: z.string().optional(),
  updatedDate: z.string().optional(),
});
export type Checkout = z.infer<typeof Checkout>;

export const Order = z.looseObject({
  id,
  number: z.union([z.string(), z.number()]).optional(),
  status: z.string().optional(),
  lineItems: z.array(LineItem).max(1000).default([]),
  buyerInfo: BuyerInfo.optional(),
  billingInfo: z.looseObject({ contactDetails: z.looseObject({ phone: z.string().nullish() }).optional() }).optional(),
  priceSummary: PriceSummary.optional(),
  currency: z.string().nullish(),
  checkoutId: z.string().nullish(),
  createdDate: z.string().optional(),
  updatedDate: z.string().nullish(),
  purchasedDate: z.string().nullish(),
  fulfillmentStatus: z.string().nullish(),
  paymentStatus: z.string().nullish(),
});
export type Order = z.infer<typeof Order>;

const Subscription = z.looseObject({ subscriptionStatus: z.string().optional() });

export const Contact = z.looseObject({
  id,
  primaryInfo: z.looseObject({ email: z.string().nullish(), phone: z.string().nullish() }).optional(),
  primaryEmail: Subscription.extend({ email: z.string().nullish() }).optional(),
  primaryPhone: Subscription.extend({ e164Phone: z.string().nullish(), phone: z.string().nullish() }).optional(),
  info: z
    .looseObject({
      name: z.looseObject({ first: z.string().nullish(), last: z.string().nullish() }).optional(),
      birthdate: z.string().nullish(),
      locale: z.string().nullish(),
      extendedFields: z.looseObject({ items: z.record(z.string(), z.unknown()).optional() }).optional(),
    })
    .optional(),
});
export type Contact = z.infer<typeof Contact>;
