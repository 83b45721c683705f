-- Whether the platform tracks a variant's stock, as its inventory item says (Shopify's
-- InventoryItem.tracked, read by the catalog sync and read-backs). NULL: not known yet.
-- Product webhooks in current API versions no longer say, so they keep what is stored here.
ALTER TABLE variants ADD COLUMN inventory_tracked boolean;
