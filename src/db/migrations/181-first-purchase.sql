-- Each profile's first Placed Order time, kept by ingest in the statement that stores the
-- events (the earliest wins, whatever order orders arrive in) and by merges (the earlier of the
-- two). Date triggers read it as the profile date firstPurchaseAt (docs/inventory-flows.md).
ALTER TABLE profiles ADD COLUMN first_purchase_at timestamptz;

UPDATE profiles p SET first_purchase_at = f.first
FROM (SELECT store_id, profile_id, min(time) AS first FROM events WHERE metric = 'Placed Order' GROUP BY store_id, profile_id) f
WHERE p.store_id = f.store_id AND p.id = f.profile_id;
