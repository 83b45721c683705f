-- Every message a flow produced: queued, held for a person, sent, skipped (with why) or failed.
-- The dedupe key is the idempotency of the flow engine: a retried step finds its message here
-- instead of making a second one. Flow and run ids carry no foreign key so messages outlive
-- edits to flows and stay independent of the order the flow tables were created in.
CREATE TABLE messages (
  store_id uuid NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  -- Listing order and page cursor: uuids carry no order.
  seq bigint GENERATED ALWAYS AS IDENTITY,
  dedupe_key text NOT NULL,
  flow_id uuid,
  flow_version integer,
  run_id uuid,
  step_id text,
  ab_branch text,
  profile_id uuid NOT NULL,
  channel text NOT NULL CHECK (channel IN ('email', 'sms')),
  recipient text NOT NULL,
  subject text,
  html text,
  body_text text,
  status text NOT NULL CHECK (status IN ('queued', 'held', 'sending', 'sent', 'skipped', 'failed')),
  reason text,
  -- While queued: when it is due (NULL = now). While sending: when the lease lapses.
  next_attempt_at timestamptz,
  not_before timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  -- Set when claimed: which transport the attempt went to decides how a lapsed lease recovers.
  provider text,
  provider_id text,
  last_error text,
  decided_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz,
  opened_at timestamptz,
  clicked_at timestamptz,
  PRIMARY KEY (store_id, id),
  UNIQUE (store_id, dedupe_key),
  FOREIGN KEY (store_id, profile_id) REFERENCES profiles (store_id, id) ON DELETE CASCADE
);
CREATE INDEX messages_due ON messages (next_attempt_at NULLS FIRST) WHERE status = 'queued';
CREATE INDEX messages_leased ON messages (next_attempt_at) WHERE status = 'sending';
CREATE INDEX messages_list ON messages (store_id, seq);
CREATE INDEX messages_flow ON messages (store_id, flow_id, status);
CREATE INDEX messages_recent ON messages (store_id, profile_id, channel, created_at) WHERE status IN ('queued', 'sending', 'sent');

-- STOP replies name only a phone number, and the sending number serves every store.
CREATE INDEX profiles_phone_any ON profiles (phone) WHERE phone IS NOT NULL;
