// The deliveries the Shopify webhook benchmark sends, shared by the benchmark and its sender
// thread: products/update and inventory_levels/update on a fixed set of products. Each body is
// Shopify's own documented example (test/fixtures/shopify/real/) with its ids, stock and times
// changed, so the route parses what the platform sends rather than a shape made up here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { signedDelivery } from '../../test/fixtures/shopify/kit.ts';

export const VARIANTS = 3;
/** Distinct products per topic: repeats land on existing rows, as a live catalog's updates do. */
export const PRODUCTS = 200;
export const INVENTORY_ITEM_BASE = 46_000_000_000_000;
export const LOCATION_ID = 24826418;
/**
 * Deliveries are dated from a minute before the run began, a second apart, so the measured ones
 * postdate the warm-up's read-backs (which are dated when read), as live reports would. One value
 * for the benchmark and its sender thread, which inherits the environment.
 */
export const EPOCH = Number((process.env.STOREFLOW_BENCH_EPOCH ??= String(Date.now() - 60_000)));

const real = (name: string) => JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'shopify', 'real', name), 'utf8')) as Record<string, unknown>;
const PRODUCT_EXAMPLE = real('products-update.json');
const LEVEL_EXAMPLE = real('inventory-levels-update.json');
const VARIANT_EXAMPLES = PRODUCT_EXAMPLE.variants as Array<Record<string, unknown>>;

/** products/update and inventory_levels/update touch disjoint products, so neither makes the other stale. */
export const productId = (inventory: boolean, i: number) => String(8_100_000_000_000 + (inventory ? PRODUCTS * 10 : 0) + (i % PRODUCTS));
export const variantId = (product: string, v: number) => `${product}${v}`;
export const inventoryItemId = (i: number, v: number) => INVENTORY_ITEM_BASE + (i % PRODUCTS) * 10 + v;

/**
 * What a products/update delivery `seq` says of its variants' stock: the value the stored rows
 * must end with. Modulo 97, not 100: a product comes round every PRODUCTS * 2 deliveries, and a
 * period dividing that would repeat its stock and leave no change to record.
 */
export const sentQuantity = (seq: number, v: number) => (seq * 7 + v) % 97;

export function isInventory(seq: number): boolean {
  return seq % 2 === 1;
}

/** The product a delivery names (for inventory_levels/update: the product its item belongs to). */
export function productOf(seq: number): string {
  return isInventory(seq) ? productId(true, (seq - 1) / 2) : productId(false, seq / 2);
}

export function productBody(seq: number): Record<string, unknown> {
  const id = productOf(seq);
  const at = new Date(EPOCH + seq * 1000).toISOString();
  return {
    ...PRODUCT_EXAMPLE,
    id: Number(id),
    admin_graphql_api_id: `gid://shopify/Product/${id}`,
    title: `Product ${id}`,
    handle: `product-${id}`,
    updated_at: at,
    variants: Array.from({ length: VARIANTS }, (_, v) => {
      const vid = variantId(id, v);
      return {
        ...VARIANT_EXAMPLES[v % VARIANT_EXAMPLES.length],
        id: Number(vid),
        admin_graphql_api_id: `gid://shopify/ProductVariant/${vid}`,
        product_id: Number(id),
        position: v + 1,
        title: `Variant ${v}`,
        sku: `SKU-${id}-${v}`,
        updated_at: at,
        inventory_item_id: inventoryItemId(seq / 2, v),
        inventory_quantity: sentQuantity(seq, v),
        old_inventory_quantity: sentQuantity(seq - 2, v),
      };
    }),
    variant_gids: Array.from({ length: VARIANTS }, (_, v) => ({ admin_graphql_api_id: `gid://shopify/ProductVariant/${variantId(id, v)}`, updated_at: at })),
  };
}

/** The stock an inventory_levels/update delivery `seq` reports at its location. */
export const levelAvailable = (seq: number) => seq % 100;

export function levelBody(seq: number): Record<string, unknown> {
  const item = inventoryItemId((seq - 1) / 2, 0);
  return {
    ...LEVEL_EXAMPLE,
    inventory_item_id: item,
    location_id: LOCATION_ID,
    available: levelAvailable(seq),
    updated_at: new Date(EPOCH + seq * 1000).toISOString(),
    admin_graphql_api_id: `gid://shopify/InventoryLevel/${LOCATION_ID}?inventory_item_id=${item}`,
  };
}

/** Delivery `seq`: even ones are products/update, odd ones inventory_levels/update. */
export function delivery(seq: number) {
  return isInventory(seq) ? signedDelivery('inventory_levels/update', levelBody(seq)) : signedDelivery('products/update', productBody(seq));
}
