-- The flow engine: versioned definitions, one run per profile pass, and the queues that feed it.

CREATE TABLE flows (
  store_id uuid NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  name text NOT NULL,
  tags text[] NOT NULL DEFAULT '{}',
  status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'manual', 'live')),
  current_version integer NOT NULL DEFAULT 1,
  trigger_type text NOT NULL,
  -- The metric or list that starts the flow: trigger matching reads only this column.
  trigger_key text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_id, id)
);
CREATE INDEX flows_trigger ON flows (store_id, trigger_type, trigger_key) WHERE status <> 'draft';

CREATE TABLE flow_versions (
  store_id uuid NOT NULL,
  flow_id uuid NOT NULL,
  version integer NOT NULL,
  definition jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_id, flow_id, version),
  FOREIGN KEY (store_id, flow_id) REFERENCES flows (store_id, id) ON DELETE CASCADE
);

CREATE TABLE flow_runs (
  store_id uuid NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  flow_id uuid NOT NULL,
  version integer NOT NULL,
  profile_id uuid NOT NULL,
  -- Deterministic per trigger occurrence and profile: the same trigger never starts a second run.
  key text NOT NULL,
  status text NOT NULL CHECK (status IN ('active', 'waiting', 'paused', 'completed', 'exited')),
  current_step text,
  next_at timestamptz,
  step_count integer NOT NULL DEFAULT 0,
  entered_at timestamptz NOT NULL,
  trigger_event jsonb,
  context jsonb NOT NULL DEFAULT '{}',
  wait_metric text,
  lease_token uuid,
  lease_until timestamptz,
  ended_at timestamptz,
  end_reason text,
  PRIMARY KEY (store_id, id),
  UNIQUE (store_id, flow_id, key),
  FOREIGN KEY (store_id, flow_id) REFERENCES flows (store_id, id) ON DELETE CASCADE
);
CREATE INDEX flow_runs_due ON flow_runs (next_at) WHERE status IN ('active', 'waiting');
CREATE INDEX flow_runs_profile ON flow_runs (store_id, profile_id, flow_id, entered_at);
CREATE INDEX flow_runs_waiting ON flow_runs (store_id, profile_id, wait_metric) WHERE status = 'waiting';
CREATE INDEX flow_runs_flow ON flow_runs (store_id, flow_id, status);

-- What each run did, step by step: reports (A/B branches, skips) and support read it.
CREATE TABLE flow_run_steps (
  store_id uuid NOT NULL,
  run_id uuid NOT NULL,
  seq integer NOT NULL,
  flow_id uuid NOT NULL,
  step_id text NOT NULL,
  outcome text NOT NULL,
  at timestamptz NOT NULL,
  PRIMARY KEY (store_id, run_id, seq)
);
CREATE INDEX flow_run_steps_flow ON flow_run_steps (store_id, flow_id, step_id);

-- What may start or wake a run: new events and list joins. Written in the same transaction as
-- the event or membership itself, so none is missed however concurrent commits interleave.
CREATE TABLE flow_trigger_queue (
  store_id uuid NOT NULL,
  id bigint GENERATED ALWAYS AS IDENTITY,
  kind text NOT NULL CHECK (kind IN ('event', 'list')),
  event_id bigint,
  list text,
  profile_id uuid NOT NULL,
  at timestamptz NOT NULL,
  PRIMARY KEY (store_id, id)
);

CREATE TABLE segments (
  store_id uuid NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  name text NOT NULL,
  definition jsonb NOT NULL,
  evaluated_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_id, id)
);

CREATE TABLE segment_members (
  store_id uuid NOT NULL,
  segment_id uuid NOT NULL,
  profile_id uuid NOT NULL,
  entered_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_id, segment_id, profile_id),
  FOREIGN KEY (store_id, segment_id) REFERENCES segments (store_id, id) ON DELETE CASCADE
);
