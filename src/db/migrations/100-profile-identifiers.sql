-- Identity resolution (DESIGN §7): a profile keeps every identifier it was given, each owned by
-- exactly one profile of the store. The (store_id, kind, value) key is what makes two deliveries
-- for the same new shopper meet on one profile instead of creating two. The email, phone and
-- external_id columns on profiles stay as the profile's address to send to and to show; every
-- value in them is also a row here.
CREATE TABLE profile_identifiers (
  store_id uuid NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('external_id', 'email', 'phone', 'anonymous_id')),
  value text NOT NULL,
  profile_id uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_id, kind, value),
  FOREIGN KEY (store_id, profile_id) REFERENCES profiles (store_id, id) ON DELETE CASCADE
);
CREATE INDEX profile_identifiers_profile ON profile_identifiers (store_id, profile_id);

INSERT INTO profile_identifiers (store_id, kind, value, profile_id)
SELECT store_id, 'external_id', external_id, id FROM profiles WHERE external_id IS NOT NULL
UNION ALL SELECT store_id, 'email', email, id FROM profiles WHERE email IS NOT NULL
UNION ALL SELECT store_id, 'phone', phone, id FROM profiles WHERE phone IS NOT NULL;

-- Every join of two profiles, and every join refused because it would have given one person two
-- emails (or two platform customer ids). merged_id is the profile that no longer exists;
-- identifiers lists what tied the two together.
CREATE TABLE profile_merges (
  store_id uuid NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
  id bigint GENERATED ALWAYS AS IDENTITY,
  outcome text NOT NULL CHECK (outcome IN ('merged', 'conflict')),
  survivor_id uuid NOT NULL,
  other_id uuid,
  identifiers jsonb NOT NULL DEFAULT '[]',
  reason text,
  at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_id, id)
);
CREATE INDEX profile_merges_survivor ON profile_merges (store_id, survivor_id);
