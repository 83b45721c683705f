import { z } from 'zod';
import { ExternalProductId, ExternalVariantId, ProductId, StoreId, VariantId } from './ids.ts';

export const InventoryTracking = z.enum(['product', 'variant', 'none']);
export type InventoryTracking = z.infer<typeof InventoryTracking>;

/** The largest amount a numeric(14, 2) money column holds. */
export const MAX_MONEY = 999_999_999_999.99;
/** Quantities are stored as Postgres integer. */
const MAX_QUANTITY = 2_147_483_647;

const money = z.coerce.number().finite().min(0).max(MAX_MONEY);
const quantity = z.number().int().min(-1_000_000_000).max(1_000_000_000);

/** A location's id as the platform names it (exact string, like every platform id). */
export const ExternalLocationId = z.string().trim().min(1).max(255);

/** One variant's stock at one location. */
export const LocationLevel = z.object({
  locationId: ExternalLocationId,
  locationName: z.string().max(255).nullish(),
  available: quantity.nullable(),
  /** When the source said so, where it differs from the write's own time (a level read back). */
  at: z.coerce.date().optional(),
});
export type LocationLevel = z.infer<typeof LocationLevel>;

/** A variant as a connector normalises it, before it has our id. */
export const VariantInput = z.object({
  externalId: ExternalVariantId,
  sku: z.string().max(255).nullish(),
  title: z.string().max(1000).nullish(),
  price: money.nullish(),
  inventoryQuantity: quantity.nullish(),
  /**
   * Whether the source tracks this variant's stock, when it says so with authority (an inventory
   * item read from the API). Absent: the stored flag stays as it is.
   */
  inventoryTracked: z.boolean().optional(),
  /**
   * Stock at single locations, as the source reported it with this write. Partial: locations not
   * named keep what is stored. `inventoryQuantity` stays the source's total over all locations;
   * ingest takes out what the locations the merchant does not count hold.
   */
  locationLevels: z.array(LocationLevel).max(500).optional(),
  /** The platform's stock-keeping item behind this variant (Shopify's InventoryItem id), when known. */
  stockItemId: z.string().trim().min(1).max(255).optional(),
  /**
   * Whether `locationLevels` names every location that stocks the variant (the source listed them
   * all). Then later single-location reports can be summed without asking the source again.
   */
  levelsComplete: z.boolean().optional(),
});
export type VariantInput = z.infer<typeof VariantInput>;

/** A product with its full variant list. Variants missing from the list are treated as removed. */
export const ProductInput = z.object({
  externalId: ExternalProductId,
  title: z.string().trim().min(1).max(1000),
  url: z.url().max(2048).nullish(),
  imageUrl: z.url().max(2048).nullish(),
  price: money.nullish(),
  inventoryTracking: InventoryTracking.default('product'),
  inventoryQuantity: quantity.nullish(),
  variants: z.array(VariantInput).max(2000).default([]),
  /** When the source last changed this item; an older update never overwrites a newer one. */
  updatedAt: z.coerce.date().optional(),
}).superRefine((p, ctx) => {
  // Each variant is in range, but their sum becomes the product's stored quantity.
  const total = productQuantity(p.inventoryTracking, p.inventoryQuantity, p.variants);
  if (total !== null && Math.abs(total) > MAX_QUANTITY) {
    ctx.addIssue({ code: 'custom', path: ['variants'], message: `the variants' quantities add up to ${total}, beyond what a product can hold (${MAX_QUANTITY})` });
  }
});
export type ProductInput = z.infer<typeof ProductInput>;

export type Variant = {
  id: VariantId;
  productId: ProductId;
  externalId: ExternalVariantId;
  sku: string | null;
  title: string | null;
  price: number | null;
  inventoryQuantity: number | null;
};

export type Product = {
  id: ProductId;
  storeId: StoreId;
  externalId: ExternalProductId;
  title: string;
  url: string | null;
  imageUrl: string | null;
  price: number | null;
  inventoryTracking: InventoryTracking;
  inventoryQuantity: number | null;
  sourceUpdatedAt: Date;
  variants: Variant[];
};

/** The signal ingest emits for every quantity change; the low-inventory trigger consumes it. */
export type InventoryChange = {
  storeId: StoreId;
  level: 'product' | 'variant';
  productId: ProductId;
  variantId: VariantId | null;
  productExternalId: ExternalProductId;
  variantExternalId: ExternalVariantId | null;
  oldQuantity: number | null;
  newQuantity: number | null;
  /** The source's own time of the change, as opposed to when we observed it. */
  sourceUpdatedAt: Date;
  observedAt: Date;
};

/**
 * Product-level quantity per the common model: with variant tracking it is the sum of the
 * variants' quantities; with product tracking the product's own figure wins when the source
 * gives one; untracked products have none.
 */
export function productQuantity(
  tracking: InventoryTracking,
  own: number | null | undefined,
  variants: ReadonlyArray<{ inventoryQuantity?: number | null | undefined }>,
): number | null {
  if (tracking === 'none') return null;
  if (tracking === 'product' && own !== null && own !== undefined) return own;
  const tracked = variants.filter((v) => v.inventoryQuantity !== null && v.inventoryQuantity !== undefined);
  if (tracked.length === 0) return own ?? null;
  return tracked.reduce((sum, v) => sum + (v.inventoryQuantity as number), 0);
}

/**
 * Stock of one stock-keeping item at one location, as a platform reports a single change
 * (Shopify's inventory_levels/update). Applied without reading the product back when the item's
 * variant is stored with every location it is stocked at.
 */
export type StockLevelReport = { stockItemId: string; locationId: string; available: number | null; at: Date };

/** One recorded change of stock, as the inventory triggers read it back. */
export type Observation = {
  id: string;
  level: 'product' | 'variant';
  productId: string;
  variantId: string | null;
  productExternalId: string;
  variantExternalId: string | null;
  oldQuantity: number;
  newQuantity: number;
  observedAt: Date;
};
