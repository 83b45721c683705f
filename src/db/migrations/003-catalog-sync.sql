-- One row per store: where the last catalog pull stands, so a crashed sync resumes at its
-- last stored page instead of starting over.
CREATE TABLE catalog_syncs (
  store_id uuid PRIMARY KEY REFERENCES stores (id) ON DELETE CASCADE,
  status text NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
  cursor text,
  pages integer NOT NULL DEFAULT 0,
  products integer NOT NULL DEFAULT 0,
  started_at timestamptz,
  finished_at timestamptz,
  heartbeat_at timestamptz,
  last_error text,
  updated_at timestamptz NOT NULL DEFAULT now()
);
