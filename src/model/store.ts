import { z } from 'zod';
import { StoreId } from './ids.ts';

export const Platform = z.enum(['shopify', 'bigcommerce', 'wix', 'custom']);
export type Platform = z.infer<typeof Platform>;

export const StoreStatus = z.enum(['active', 'uninstalled']);
export type StoreStatus = z.infer<typeof StoreStatus>;

/** Which catalog drives the low-inventory trigger; only one at a time. */
export const LowInventoryCatalog = z.enum(['integration', 'custom']);
export type LowInventoryCatalog = z.infer<typeof LowInventoryCatalog>;

/** A JSON path into event properties, written as dot-separated keys (`Items`, `product.id`). */
export const FieldPath = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^[^.\s][^\s]*$/, 'a dot-separated property path such as ProductID or product.id');

/**
 * Per-store names of the fields our canonical event model reads. Custom catalogs
 * send events shaped their own way; support staff record here where each value lives.
 */
export const EventMapping = z.object({
  /** Incoming metric name → canonical metric name ("Product Viewed" → "Viewed Product"). */
  metricAliases: z.record(z.string().min(1), z.string().min(1)).default({}),
  productId: FieldPath.default('ProductID'),
  variantId: FieldPath.default('VariantID'),
  price: FieldPath.default('Price'),
  items: FieldPath.default('Items'),
  itemProductId: FieldPath.default('ProductID'),
  itemVariantId: FieldPath.default('VariantID'),
  itemQuantity: FieldPath.default('Quantity'),
  itemPrice: FieldPath.default('ItemPrice'),
  /**
   * Overrides per canonical metric, for stores whose events disagree with one another; the
   * item fields name keys inside each element of that metric's own item list.
   */
  perMetric: z
    .record(
      z.string().min(1),
      z
        .object({
          productId: FieldPath,
          variantId: FieldPath,
          price: FieldPath,
          items: FieldPath,
          itemProductId: FieldPath,
          itemVariantId: FieldPath,
          itemQuantity: FieldPath,
          itemPrice: FieldPath,
        })
        .partial(),
    )
    .default({}),
});
export type EventMapping = z.infer<typeof EventMapping>;

export const Store = z.object({
  id: StoreId,
  platform: Platform,
  domain: z.string(),
  externalId: z.string().nullable(),
  status: StoreStatus,
  scopes: z.array(z.string()),
  publicKey: z.string(),
  lowInventoryCatalog: LowInventoryCatalog,
  /** Support has checked the custom catalog's data and turned the trigger on for it. */
  customLowInventoryEnabled: z.boolean(),
  eventMapping: EventMapping,
  createdAt: z.date(),
});
export type Store = z.infer<typeof Store>;
