// One order shape for every platform: a connector maps the platform's order to CommonOrder and
// the order events (order-events.ts) are built from it, so Placed Order, Ordered Product and
// the later Fulfilled, Cancelled and Refunded Order carry the same properties whichever
// platform the order came from.
import { z } from 'zod';
import { MAX_MONEY } from './catalog.ts';
import { Platform } from './store.ts';
import { ProfileIdentity } from './profile.ts';

/** Amounts land in numeric(14, 2) columns: anything not a finite amount that fits is absent. */
const Money = z.number().finite().min(0).max(MAX_MONEY).nullable();
const Text = z.string().max(2000).nullable().default(null);

export const CommonOrderLine = z.object({
  /** The platform's id of the order line, when it has one (keeps Ordered Product ids stable). */
  lineId: z.string().min(1).max(255).nullable().default(null),
  productId: z.string().min(1).max(255),
  variantId: z.string().min(1).max(255).nullable().default(null),
  sku: Text,
  title: Text,
  variantTitle: Text,
  quantity: z.number().int().positive(),
  /** Price of one unit. */
  price: Money.default(null),
  url: Text,
  imageUrl: Text,
});
export type CommonOrderLine = z.infer<typeof CommonOrderLine>;

export const CommonOrder = z.object({
  platform: Platform,
  orderId: z.string().min(1).max(255),
  /** The number or name the shopper sees (#1001); null when the platform has none. */
  number: Text,
  currency: Text,
  total: Money,
  placedAt: z.date(),
  customer: ProfileIdentity,
  /** Lines that name a catalog product; custom lines, tips and the like are left out. */
  lineItems: z.array(CommonOrderLine),
  status: Text,
  checkoutId: Text,
  discountCodes: z.array(z.string()).default([]),
});
export type CommonOrder = z.infer<typeof CommonOrder>;
export type CommonOrderInput = z.input<typeof CommonOrder>;

/** Rounds to cents and drops what a money column cannot hold. */
export function money(n: number | null | undefined): number | null {
  return n === null || n === undefined || !Number.isFinite(n) || n < 0 || n > MAX_MONEY ? null : Math.round(n * 100) / 100;
}
