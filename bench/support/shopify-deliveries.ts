// The deliveries the Shopify webhook benchmark sends, shared by the benchmark and its sender
// thread: products/update and inventory_levels/update on a fixed set of products.
import { signedDelivery } from '../../test/fixtures/shopify/kit.ts';

export const VARIANTS = 3;
/** Distinct products per topic: repeats land on existing rows, as a live catalog's updates do. */
export const PRODUCTS = 200;
export const INVENTORY_ITEM_BASE = 46_000_000_000_000;
export const EPOCH = Date.UTC(2026, 0, 1);

/** products/update and inventory_levels/update touch disjoint products, so neither makes the other stale. */
export const productId = (inventory: boolean, i: number) => String(8_100_000_000_000 + (inventory ? PRODUCTS * 10 : 0) + (i % PRODUCTS));
export const variantId = (product: string, v: number) => `${product}${v}`;
export const inventoryItemId = (i: number, v: number) => INVENTORY_ITEM_BASE + (i % PRODUCTS) * 10 + v;

/** Delivery `seq`: even ones are products/update, odd ones inventory_levels/update. */
export function delivery(seq: number) {
  const at = new Date(EPOCH + seq * 1000).toISOString();
  if (seq % 2 === 0) {
    const id = productId(false, seq / 2);
    return signedDelivery('products/update', {
      id: Number(id),
      title: `Product ${id}`,
      handle: `product-${id}`,
      updated_at: at,
      status: 'active',
      image: null,
      variants: Array.from({ length: VARIANTS }, (_, v) => ({
        id: Number(variantId(id, v)),
        product_id: Number(id),
        title: `Variant ${v}`,
        price: '19.99',
        sku: `SKU-${id}-${v}`,
        inventory_item_id: inventoryItemId(seq / 2, v),
        inventory_quantity: (seq * 7 + v) % 100,
        old_inventory_quantity: 0,
        inventory_management: 'shopify',
        inventory_policy: 'deny',
      })),
    });
  }
  const item = inventoryItemId((seq - 1) / 2, 0);
  return signedDelivery('inventory_levels/update', {
    inventory_item_id: item,
    location_id: 24826418,
    available: seq % 100,
    updated_at: at,
    admin_graphql_api_id: `gid://shopify/InventoryLevel/24826418?inventory_item_id=${item}`,
  });
}
