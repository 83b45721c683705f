-- One index fewer on the busiest insert path (a low-inventory fall enters 100,000 runs at once):
-- the unique (store_id, flow_id, key) index already serves every per-flow lookup by its prefix.
DROP INDEX IF EXISTS flow_runs_flow;
