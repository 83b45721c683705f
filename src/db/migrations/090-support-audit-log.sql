-- The support audit log records every staff change (no store) and every read of shopper data in
-- the console, beside the store-setting changes it held already. Staff changes belong to no
-- store, so the log is keyed by its own id; per-store reads use the (store_id, id) index. It is
-- small and global like `staff`, so under Citus it would be a reference table.
ALTER TABLE support_audit DROP CONSTRAINT support_audit_pkey;
ALTER TABLE support_audit ALTER COLUMN store_id DROP NOT NULL;
ALTER TABLE support_audit ADD PRIMARY KEY (id);
CREATE INDEX support_audit_store ON support_audit (store_id, id);
-- 'change' alters something, 'view' showed shopper data; target names the record acted on or shown.
ALTER TABLE support_audit ADD COLUMN kind text NOT NULL DEFAULT 'change' CHECK (kind IN ('change', 'view'));
ALTER TABLE support_audit ADD COLUMN target text;

-- Enabling the custom trigger used to copy the check's sample events (a shopper's event
-- properties) into the log, where a privacy erase never reaches; keep the checks, drop the samples.
UPDATE support_audit SET after = jsonb_set(after, '{checks}', (SELECT jsonb_agg(c - 'sample') FROM jsonb_array_elements(after -> 'checks') c))
WHERE jsonb_typeof(after -> 'checks') = 'array';

-- Append-only: the app has no update or delete path, and the database refuses one from anywhere.
CREATE FUNCTION support_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'support_audit is append-only';
END;
$$;
CREATE TRIGGER support_audit_no_update_delete BEFORE UPDATE OR DELETE ON support_audit
  FOR EACH ROW EXECUTE FUNCTION support_audit_append_only();
CREATE TRIGGER support_audit_no_truncate BEFORE TRUNCATE ON support_audit
  FOR EACH STATEMENT EXECUTE FUNCTION support_audit_append_only();
