-- Back in stock with fair release (docs/inventory-flows.md). A request may ask for several units
-- and remembers where it came from; a release marks it notified by one flow in one episode, in the
-- statement that enters its run, so a request is told once and never lost.
ALTER TABLE back_in_stock_requests
  ADD COLUMN quantity integer NOT NULL DEFAULT 1 CHECK (quantity BETWEEN 1 AND 100),
  ADD COLUMN source text NOT NULL DEFAULT 'api' CHECK (source IN ('api', 'klaviyo', 'storefront', 'theme-block')),
  ADD COLUMN notified_flow_id uuid,
  ADD COLUMN notified_episode_id bigint;

-- The waitlist in release order: a variant's open requests, oldest first. A release reads only
-- the head of it, however long the list.
CREATE INDEX back_in_stock_requests_waitlist ON back_in_stock_requests (store_id, variant_id, created_at, id) WHERE notified_at IS NULL;
-- Report numbers per flow.
CREATE INDEX back_in_stock_requests_notified ON back_in_stock_requests (store_id, notified_flow_id) WHERE notified_at IS NOT NULL;

-- An episode: a variant restocked (below the flow's minimum, then at or above it) until it sells
-- out again. The flow fires once when it opens and releases a batch every recount while it lasts.
-- One open episode per flow and variant, so a redelivered or concurrent restock cannot open two.
CREATE TABLE back_in_stock_episodes (
  store_id uuid NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
  id bigint GENERATED ALWAYS AS IDENTITY,
  flow_id uuid NOT NULL,
  product_id uuid NOT NULL,
  variant_id uuid NOT NULL,
  observation_id bigint,
  started_at timestamptz NOT NULL,
  next_release_at timestamptz,
  batches integer NOT NULL DEFAULT 0,
  released integer NOT NULL DEFAULT 0,
  ended_at timestamptz,
  end_reason text,
  PRIMARY KEY (store_id, id),
  FOREIGN KEY (store_id, variant_id) REFERENCES variants (store_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX back_in_stock_episodes_open ON back_in_stock_episodes (store_id, flow_id, variant_id) WHERE ended_at IS NULL;
-- A restock opens at most one episode per flow and variant, even when its queue row comes back
-- after that episode already ended.
CREATE UNIQUE INDEX back_in_stock_episodes_observation ON back_in_stock_episodes (store_id, flow_id, variant_id, observation_id);
CREATE INDEX back_in_stock_episodes_due ON back_in_stock_episodes (next_release_at) WHERE ended_at IS NULL;

-- How long a request waits for stock before it lapses: the store's choice.
CREATE TABLE back_in_stock_settings (
  store_id uuid PRIMARY KEY REFERENCES stores (id) ON DELETE CASCADE,
  request_days integer NOT NULL DEFAULT 90 CHECK (request_days BETWEEN 1 AND 365),
  updated_at timestamptz NOT NULL DEFAULT now()
);
