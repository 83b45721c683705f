-- Verified webhook deliveries waiting for the worker. The route only stores and acknowledges
-- (platforms give us seconds); the unique key is the dedupe of retried and duplicated deliveries.
CREATE TABLE webhook_inbox (
  store_id uuid NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
  id bigint GENERATED ALWAYS AS IDENTITY,
  source text NOT NULL,
  delivery_id text NOT NULL,
  topic text NOT NULL,
  payload jsonb NOT NULL,
  triggered_at timestamptz,
  received_at timestamptz NOT NULL DEFAULT now(),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  processed_at timestamptz,
  outcome text,
  last_error text,
  PRIMARY KEY (store_id, id),
  UNIQUE (store_id, source, delivery_id)
);
CREATE INDEX webhook_inbox_due ON webhook_inbox (next_attempt_at, id) WHERE processed_at IS NULL;
CREATE INDEX webhook_inbox_processed ON webhook_inbox (processed_at) WHERE processed_at IS NOT NULL;
