-- Low-inventory trigger (DESIGN §5). Inventory crossings reach flows through the trigger queue,
-- written in the same transaction as the observation itself.
ALTER TABLE flow_trigger_queue DROP CONSTRAINT flow_trigger_queue_kind_check;
ALTER TABLE flow_trigger_queue ADD CONSTRAINT flow_trigger_queue_kind_check CHECK (kind IN ('event', 'list', 'inventory'));
ALTER TABLE flow_trigger_queue ADD COLUMN observation_id bigint;
ALTER TABLE flow_trigger_queue ALTER COLUMN profile_id DROP NOT NULL;

-- A custom catalog drives the trigger only once support has checked its data and turned it on.
ALTER TABLE stores ADD COLUMN custom_low_inventory_enabled boolean NOT NULL DEFAULT false;

-- Who changed a store's support settings, when, from what to what.
CREATE TABLE support_audit (
  store_id uuid NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
  id bigint GENERATED ALWAYS AS IDENTITY,
  actor text NOT NULL,
  action text NOT NULL,
  before jsonb,
  after jsonb,
  at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_id, id)
);
