-- A platform's stock-keeping item behind a variant (Shopify's InventoryItem), and whether every
-- location stocking it is known from variant_locations. With both, a single-location stock report
-- (inventory_levels/update) is applied from the report itself: the variant's stock is the sum of
-- its latest level at each counted location. Without them the product is read back from the
-- platform, which Shopify's query-cost budget allows only a few times a second per store.
ALTER TABLE variants ADD COLUMN IF NOT EXISTS stock_item_id text;
ALTER TABLE variants ADD COLUMN IF NOT EXISTS levels_complete boolean NOT NULL DEFAULT false;
CREATE INDEX IF NOT EXISTS variants_stock_item ON variants (store_id, stock_item_id) WHERE stock_item_id IS NOT NULL;
