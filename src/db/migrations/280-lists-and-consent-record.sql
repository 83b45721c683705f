-- Lists as things a merchant names, renames and deletes. Memberships stay in profile_lists, keyed
-- by the list's name (flows' list triggers and the APIs name lists, never ids), so every list a
-- membership names has a row here: the statement trigger adds one for a name first seen in a
-- membership, whichever door it came in by.
CREATE TABLE lists (
  store_id uuid NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_id, name)
);

INSERT INTO lists (store_id, name, created_at)
SELECT store_id, list, min(joined_at) FROM profile_lists GROUP BY store_id, list;

CREATE FUNCTION lists_from_memberships() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO lists (store_id, name) SELECT DISTINCT store_id, list FROM added ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;

CREATE TRIGGER profile_lists_name_list AFTER INSERT ON profile_lists
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION lists_from_memberships();

CREATE INDEX profile_lists_members ON profile_lists (store_id, list, joined_at, profile_id);

-- Where each channel's consent came from and when it last changed. A writer that knows its
-- source sets both columns (the CSV import, unsubscribe links, SMS keyword replies); any other
-- change of state is stamped here with the time and a generic source, so the time is never missing.
ALTER TABLE profiles
  ADD COLUMN email_consent_source text,
  ADD COLUMN email_consent_at timestamptz,
  ADD COLUMN sms_consent_source text,
  ADD COLUMN sms_consent_at timestamptz;

CREATE FUNCTION profiles_consent_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.email_consent <> 'never_subscribed' AND NEW.email_consent_at IS NULL THEN
      NEW.email_consent_at := now(); NEW.email_consent_source := coalesce(NEW.email_consent_source, 'profile update');
    END IF;
    IF NEW.sms_consent <> 'never_subscribed' AND NEW.sms_consent_at IS NULL THEN
      NEW.sms_consent_at := now(); NEW.sms_consent_source := coalesce(NEW.sms_consent_source, 'profile update');
    END IF;
    RETURN NEW;
  END IF;
  IF NEW.email_consent IS DISTINCT FROM OLD.email_consent AND NEW.email_consent_at IS NOT DISTINCT FROM OLD.email_consent_at THEN
    NEW.email_consent_at := now(); NEW.email_consent_source := 'profile update';
  END IF;
  IF NEW.sms_consent IS DISTINCT FROM OLD.sms_consent AND NEW.sms_consent_at IS NOT DISTINCT FROM OLD.sms_consent_at THEN
    NEW.sms_consent_at := now(); NEW.sms_consent_source := 'profile update';
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER profiles_consent_stamp BEFORE INSERT OR UPDATE OF email_consent, sms_consent ON profiles
  FOR EACH ROW EXECUTE FUNCTION profiles_consent_stamp();

-- Name search on the people page.
CREATE INDEX profiles_name ON profiles (store_id, lower(coalesce(first_name, '') || ' ' || coalesce(last_name, '')) text_pattern_ops);

-- Each CSV import into a list and what came of it; the list page shows the latest with the rows
-- it refused (line number and reason), so a merchant can fix the file and import it again.
CREATE TABLE list_imports (
  store_id uuid NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  list text NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('done', 'stopped')),
  stopped_reason text,
  rows_read integer NOT NULL,
  rows_imported integer NOT NULL,
  joined integer NOT NULL,
  consent_recorded integer NOT NULL,
  bad_rows integer NOT NULL,
  -- At most the first 100 refusals: {line, reason}.
  bad jsonb NOT NULL DEFAULT '[]',
  actor text,
  at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_id, id)
);
CREATE INDEX list_imports_list ON list_imports (store_id, list, at DESC);
