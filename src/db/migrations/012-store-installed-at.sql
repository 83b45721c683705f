-- When the store was last installed. A platform retries an app-uninstalled webhook for hours with
-- its original trigger time; one triggered before the latest (re)install is stale and must not
-- uninstall the store again. Existing rows take the best lower bound known: Shopify's recorded
-- install time, else the row's creation.
ALTER TABLE stores ADD COLUMN installed_at timestamptz;
UPDATE stores s SET installed_at = COALESCE((SELECT t.installed_at FROM shopify_tokens t WHERE t.store_id = s.id), s.created_at);
ALTER TABLE stores ALTER COLUMN installed_at SET DEFAULT now(), ALTER COLUMN installed_at SET NOT NULL;
