-- Flow entry at the rate a low-inventory fall needs (100,000 runs in one statement). Every run
-- costs one heap row plus one entry per index, and until now one foreign-key check per row:
--
-- * Time-ordered ids. gen_random_uuid() scattered each new run over the whole primary key, so
--   every insert (and every tick's write-back) touched a different leaf page. UUIDv7 layout
--   (48-bit Unix milliseconds, then random bits) keeps new runs at the right edge of the index.
--   Existing ids stay as they are: a uuid is a uuid, and the key stays unique.
-- * The per-profile index narrows to (store_id, profile_id): every query by profile (erasure,
--   merge, re-entry, filled-in trigger events) names the store and the profile, and nothing
--   reads flow_id or entered_at out of this index.
-- * The foreign key to flows goes. Its check ran once per inserted row; every statement that enters runs now takes the same KEY SHARE lock on the flow row
--   once, so a flow being deleted still makes entry wait, and a deleted flow's runs are deleted
--   with it (deleteFlowRow) instead of by cascade.
--
-- CREATE INDEX here blocks writes to flow_runs while it builds (migrations run in a transaction);
-- on a large table, build it first with CREATE INDEX CONCURRENTLY under the same name.
CREATE OR REPLACE FUNCTION uuid_time_ordered() RETURNS uuid
LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
  SELECT encode(
    set_bit(set_bit(
      overlay(uuid_send(gen_random_uuid())
              PLACING substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
              FROM 1 FOR 6),
      52, 1), 53, 1),
    'hex')::uuid
$$;

ALTER TABLE flow_runs ALTER COLUMN id SET DEFAULT uuid_time_ordered();

CREATE INDEX IF NOT EXISTS flow_runs_by_profile ON flow_runs (store_id, profile_id);
DROP INDEX IF EXISTS flow_runs_profile;

-- Until this commits the key still holds, so no run without its flow exists to clean up.
ALTER TABLE flow_runs DROP CONSTRAINT IF EXISTS flow_runs_store_id_flow_id_fkey;
