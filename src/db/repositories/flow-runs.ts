import type { FlowId, FlowRunId, ProfileId, StoreId } from '../../model/ids.ts';
import { RunContext, TriggerEvent, type FlowRun, type RunStatus, type RunUpdate } from '../../model/flow.ts';
import type { Queryable } from '../pool.ts';

/**
 * The flows a batch of new runs `x` (columns store_id, flow_id) enters, each row locked once
 * against deletion for the statement: the check a foreign key would make per run, made once per
 * flow. A flow being deleted makes the statement wait, then enter nobody: a deleted flow keeps
 * no runs (deleteFlowRow).
 */
export const LIVE_FLOWS = `live AS MATERIALIZED (
       SELECT f.store_id, f.id FROM flows f
       WHERE (f.store_id, f.id) IN (SELECT DISTINCT store_id, flow_id FROM x)
       FOR KEY SHARE OF f)`;

export type NewRun = {
  storeId: StoreId;
  flowId: FlowId;
  version: number;
  profileId: ProfileId;
  key: string;
  status: 'active' | 'paused';
  startStep: string;
  nextAt: Date;
  enteredAt: Date;
  triggerEvent: TriggerEvent | null;
  context: RunContext;
};

/**
 * Inserts runs; a key already used for the flow is skipped, and so is a run whose flow no longer
 * exists. Returns the runs that were new.
 */
export async function insertRuns(db: Queryable, runs: NewRun[]): Promise<Array<{ id: FlowRunId; flowId: FlowId; profileId: ProfileId }>> {
  if (runs.length === 0) return [];
  const { rows } = await db.query<{ id: string; flow_id: string; profile_id: string }>(
    `WITH x AS MATERIALIZED (
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(store_id uuid, flow_id uuid, version integer, profile_id uuid, key text, status text,
         start_step text, next_at timestamptz, entered_at timestamptz, trigger_event jsonb, context jsonb)
     ), ${LIVE_FLOWS}
     INSERT INTO flow_runs (store_id, flow_id, version, profile_id, key, status, current_step, next_at, entered_at, trigger_event, context)
     SELECT x.store_id, x.flow_id, version, profile_id, key, status, start_step, next_at, entered_at, trigger_event, context
     FROM x JOIN live ON live.store_id = x.store_id AND live.id = x.flow_id
     ON CONFLICT (store_id, flow_id, key) DO NOTHING
     RETURNING id, flow_id, profile_id`,
    [
      JSON.stringify(
        runs.map((r) => ({
          store_id: r.storeId,
          flow_id: r.flowId,
          version: r.version,
          profile_id: r.profileId,
          key: r.key,
          status: r.status,
          start_step: r.startStep,
          next_at: r.nextAt.toISOString(),
          entered_at: r.enteredAt.toISOString(),
          trigger_event: r.triggerEvent,
          context: r.context,
        })),
      ),
    ],
  );
  return rows.map((r) => ({ id: r.id as FlowRunId, flowId: r.flow_id as FlowId, profileId: r.profile_id as ProfileId }));
}

/** Profiles that entered the flow at or after `since` (re-entry rules). */
export async function recentEntrants(db: Queryable, storeId: StoreId, flowId: FlowId, profileIds: ProfileId[], since: Date | null): Promise<Set<string>> {
  if (profileIds.length === 0) return new Set();
  const { rows } = await db.query<{ profile_id: string }>(
    `SELECT DISTINCT profile_id FROM flow_runs WHERE store_id = $1 AND flow_id = $2 AND profile_id = ANY($3::uuid[])
       AND ($4::timestamptz IS NULL OR entered_at >= $4)`,
    [storeId, flowId, profileIds, since],
  );
  return new Set(rows.map((r) => r.profile_id));
}

type RunRow = {
  id: string;
  store_id: string;
  flow_id: string;
  version: number;
  profile_id: string;
  key: string;
  status: RunStatus;
  current_step: string | null;
  next_at: Date | null;
  step_count: number;
  entered_at: Date;
  trigger_event: unknown;
  context: unknown;
  wait_metric: string | null;
};

function toRun(r: RunRow): FlowRun {
  return {
    id: r.id as FlowRunId,
    storeId: r.store_id as StoreId,
    flowId: r.flow_id as FlowId,
    version: r.version,
    profileId: r.profile_id as ProfileId,
    key: r.key,
    status: r.status,
    currentStep: r.current_step,
    nextAt: r.next_at,
    stepCount: r.step_count,
    enteredAt: r.entered_at,
    triggerEvent: r.trigger_event ? TriggerEvent.parse(r.trigger_event) : null,
    context: RunContext.parse(r.context ?? {}),
    waitMetric: r.wait_metric,
  };
}

/**
 * Leases due runs to one worker. The lease token guards the write-back: a worker whose lease
 * lapsed (it stalled, another took over) cannot overwrite the newer state.
 */
export async function claimDueRuns(db: Queryable, now: Date, limit: number, leaseMs: number, token: string): Promise<FlowRun[]> {
  const { rows } = await db.query<RunRow>(
    `UPDATE flow_runs r SET lease_token = $4, lease_until = $1::timestamptz + make_interval(secs => $3::double precision / 1000)
     FROM (SELECT store_id, id FROM flow_runs
           WHERE status IN ('active', 'waiting') AND next_at <= $1 AND (lease_until IS NULL OR lease_until < $1)
           ORDER BY next_at LIMIT $2 FOR UPDATE SKIP LOCKED) due
     WHERE r.store_id = due.store_id AND r.id = due.id
     RETURNING r.*`,
    [now, limit, leaseMs, token],
  );
  return rows.map(toRun);
}


/** Writes back the runs this worker still holds; returns how many it could. */
export async function saveRuns(db: Queryable, token: string, updates: RunUpdate[]): Promise<number> {
  if (updates.length === 0) return 0;
  const { rowCount } = await db.query(
    `UPDATE flow_runs r SET status = x.status, current_step = x.current_step, next_at = x.next_at, step_count = x.step_count,
       context = x.context, wait_metric = x.wait_metric, end_reason = x.end_reason, ended_at = x.ended_at,
       lease_token = NULL, lease_until = NULL
     FROM jsonb_to_recordset($2::jsonb) AS x(store_id uuid, id uuid, status text, current_step text, next_at timestamptz,
       step_count integer, context jsonb, wait_metric text, end_reason text, ended_at timestamptz)
     WHERE r.store_id = x.store_id AND r.id = x.id AND r.lease_token = $1`,
    [
      token,
      JSON.stringify(
        updates.map((u) => ({
          store_id: u.storeId,
          id: u.id,
          status: u.status,
          current_step: u.currentStep,
          next_at: u.nextAt?.toISOString() ?? null,
          step_count: u.stepCount,
          context: u.context,
          wait_metric: u.waitMetric,
          end_reason: u.endReason,
          ended_at: u.endedAt?.toISOString() ?? null,
        })),
      ),
    ],
  );
  return rowCount ?? 0;
}

export type StepLog = { storeId: StoreId; runId: FlowRunId; flowId: FlowId; seq: number; stepId: string; outcome: string; at: Date };

export async function insertStepLogs(db: Queryable, logs: StepLog[]): Promise<void> {
  if (logs.length === 0) return;
  await db.query(
    `INSERT INTO flow_run_steps (store_id, run_id, seq, flow_id, step_id, outcome, at)
     SELECT store_id, run_id, seq, flow_id, step_id, outcome, at
     FROM jsonb_to_recordset($1::jsonb) AS x(store_id uuid, run_id uuid, seq integer, flow_id uuid, step_id text, outcome text, at timestamptz)
     ON CONFLICT DO NOTHING`,
    [JSON.stringify(logs.map((l) => ({ store_id: l.storeId, run_id: l.runId, seq: l.seq, flow_id: l.flowId, step_id: l.stepId, outcome: l.outcome, at: l.at.toISOString() })))],
  );
}

/** A new event of `metric` for these profiles: waiting runs look again now. */
export async function wakeWaitingRuns(db: Queryable, storeId: StoreId, pairs: Array<{ profileId: ProfileId; metric: string }>, now: Date): Promise<number> {
  if (pairs.length === 0) return 0;
  const { rowCount } = await db.query(
    `UPDATE flow_runs r SET next_at = LEAST(r.next_at, $3)
     FROM jsonb_to_recordset($2::jsonb) AS x(profile_id uuid, metric text)
     WHERE r.store_id = $1 AND r.status = 'waiting' AND r.profile_id = x.profile_id AND r.wait_metric = x.metric`,
    [storeId, JSON.stringify(pairs.map((p) => ({ profile_id: p.profileId, metric: p.metric }))), now],
  );
  return rowCount ?? 0;
}

/** Draft stops a flow: its runs pause where they are (counted in the report) instead of vanishing. */
export async function pauseFlowRuns(db: Queryable, storeId: StoreId, flowId: FlowId): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE flow_runs SET status = 'paused', context = context || jsonb_build_object('pausedFrom', status)
     WHERE store_id = $1 AND flow_id = $2 AND status IN ('active', 'waiting')`,
    [storeId, flowId],
  );
  return rowCount ?? 0;
}

export async function resumeFlowRuns(db: Queryable, storeId: StoreId, flowId: FlowId, now: Date): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE flow_runs SET status = COALESCE(context->>'pausedFrom', 'active'), next_at = COALESCE(next_at, $3), context = context - 'pausedFrom'
     WHERE store_id = $1 AND flow_id = $2 AND status = 'paused'`,
    [storeId, flowId, now],
  );
  return rowCount ?? 0;
}

export async function listRuns(db: Queryable, storeId: StoreId, flowId: FlowId): Promise<FlowRun[]> {
  const { rows } = await db.query<RunRow>('SELECT * FROM flow_runs WHERE store_id = $1 AND flow_id = $2 ORDER BY entered_at, id', [storeId, flowId]);
  return rows.map(toRun);
}
