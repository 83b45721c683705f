-- Calls the server makes to URLs merchants gave it (flow webhook steps), queued instead of made
-- inside the flow tick: a slow receiver holds only its own rows, never a batch of runs. The run
-- parks on its webhook step and is woken when its call is delivered or finally fails.
CREATE TABLE outbound_calls (
  store_id uuid NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  -- The run's step visit (run:step:visit), sent as the Idempotency-Key header: a receiver drops repeats.
  idempotency_key text NOT NULL,
  run_id uuid NOT NULL,
  flow_id uuid NOT NULL,
  step_id text NOT NULL,
  profile_id uuid,
  url text NOT NULL,
  -- Lower-cased host of url: calls in flight are bounded per receiver.
  host text NOT NULL,
  body jsonb NOT NULL,
  status text NOT NULL CHECK (status IN ('queued', 'calling', 'delivered', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  -- While queued: when it is due. While calling: lease_until says when the attempt is presumed dead.
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  lease_until timestamptz,
  response_status integer,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  PRIMARY KEY (store_id, id),
  UNIQUE (store_id, idempotency_key)
);
CREATE INDEX outbound_calls_due ON outbound_calls (next_attempt_at) WHERE status = 'queued';
CREATE INDEX outbound_calls_calling ON outbound_calls (host, lease_until) WHERE status = 'calling';
CREATE INDEX outbound_calls_run ON outbound_calls (store_id, run_id);
