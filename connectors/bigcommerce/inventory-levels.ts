// Stock per location through the Inventory API (`GET /v3/inventory/items`): each item (a variant,
// or the product when stock is tracked on it) lists its `available_to_sell` at every location.
// With these levels the item's total is their sum, so a product read always states the same
// figure whichever hook or sync read it; ingest then takes out what the locations the merchant
// does not count hold.
import type { LocationLevel, ProductInput, VariantInput } from '../../src/model/catalog.ts';
import { BigCommerceApiError, type StoreApi } from './api-client.ts';
import { InventoryItemsPage, type InventoryItem } from './payload-schemas.ts';

/** The Inventory API answers at most this many items a page. */
const PAGE = 1000;

/**
 * Every inventory item of these products, by product id; null when the store does not let us
 * read inventory (a token without the Store Inventory scope): the catalog's figures stand then.
 */
export async function readInventoryItems(api: StoreApi, productIds: number[]): Promise<Map<number, InventoryItem[]> | null> {
  const out = new Map<number, InventoryItem[]>();
  if (productIds.length === 0) return out;
  for (let page = 1; page <= 100; page++) {
    let body;
    try {
      body = InventoryItemsPage.parse(
        await api.call({ method: 'GET', path: '/v3/inventory/items', params: { 'product_id:in': productIds.join(','), limit: PAGE, page } }),
      );
    } catch (err) {
      if (err instanceof BigCommerceApiError && err.status === 403) return null;
      throw err;
    }
    for (const item of body.data) out.set(item.identity.product_id, [...(out.get(item.identity.product_id) ?? []), item]);
    const pages = body.meta.pagination?.total_pages;
    if (body.data.length < PAGE || (pages !== undefined && page >= pages)) break;
  }
  return out;
}

function levelsOf(item: InventoryItem): LocationLevel[] {
  return item.locations.map((l) => ({ locationId: String(l.location_id), locationName: l.location_name ?? null, available: l.available_to_sell ?? null }));
}

const total = (levels: LocationLevel[]): number => levels.reduce((sum, l) => sum + (l.available ?? 0), 0);

/**
 * A product as the catalog read it, with the levels its inventory items report. Variant-tracked:
 * each variant carries its own levels and their sum. Product-tracked: the product's single item
 * is kept on its base variant (the one the item names, else the first), and the product's total
 * is the sum. Untracked products, and items that list no location, are left as they were.
 */
export function withLevels(p: ProductInput, items: InventoryItem[] | undefined): ProductInput {
  if (!items?.length || p.inventoryTracking === 'none') return p;
  if (p.inventoryTracking === 'variant') {
    const byVariant = new Map(items.filter((i) => i.identity.variant_id).map((i) => [String(i.identity.variant_id), levelsOf(i)]));
    const variants: VariantInput[] = p.variants.map((v) => {
      const levels = byVariant.get(v.externalId);
      return levels?.length ? { ...v, inventoryQuantity: total(levels), locationLevels: levels } : v;
    });
    return { ...p, variants };
  }
  const levels = items.flatMap(levelsOf);
  if (levels.length === 0 || p.variants.length === 0) return p;
  const named = items.find((i) => i.identity.variant_id)?.identity.variant_id;
  const base = p.variants.find((v) => v.externalId === String(named)) ?? p.variants[0]!;
  // One product-level item: its levels by location (an item listed twice keeps its last).
  const byLocation = [...new Map(levels.map((l) => [l.locationId, l])).values()];
  return {
    ...p,
    inventoryQuantity: total(byLocation),
    variants: p.variants.map((v) => (v === base ? { ...v, locationLevels: byLocation } : v)),
  };
}

/** Products with their levels, in one Inventory API read for the lot. */
export async function productsWithLevels(api: StoreApi, products: ProductInput[]): Promise<ProductInput[]> {
  const tracked = products.filter((p) => p.inventoryTracking !== 'none').map((p) => Number(p.externalId));
  const items = await readInventoryItems(api, tracked);
  if (!items) return products;
  return products.map((p) => withLevels(p, items.get(Number(p.externalId))));
}
