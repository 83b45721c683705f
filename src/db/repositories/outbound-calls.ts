// The outbound call queue (flow webhook steps). Calls are claimed with a lease like messages and
// flow runs; the claim also keeps the calls in flight to one host under a bound, so a slow
// receiver queues behind itself and never takes the slots of other stores' receivers.
import type pg from 'pg';
import type { FlowId, FlowRunId, ProfileId, StoreId } from '../../model/ids.ts';
import { withTransaction, type Queryable } from '../pool.ts';

export type NewOutboundCall = {
  storeId: StoreId;
  idempotencyKey: string;
  runId: FlowRunId;
  flowId: FlowId;
  stepId: string;
  profileId: ProfileId | null;
  url: string;
  host: string;
  body: unknown;
};

export type ClaimedCall = {
  storeId: StoreId;
  id: string;
  idempotencyKey: string;
  runId: FlowRunId;
  url: string;
  host: string;
  body: unknown;
  attempts: number;
};

export type CallOutcome = { ok: boolean; attempts: number; error?: string };

/** Queues calls; a key already queued (a replayed tick) is left as it is. */
export async function insertOutboundCalls(db: Queryable, calls: NewOutboundCall[], now: Date): Promise<number> {
  if (calls.length === 0) return 0;
  const { rowCount } = await db.query(
    `INSERT INTO outbound_calls (store_id, idempotency_key, run_id, flow_id, step_id, profile_id, url, host, body, status, next_attempt_at)
     SELECT store_id, idempotency_key, run_id, flow_id, step_id, profile_id, url, host, body, 'queued', $2
     FROM jsonb_to_recordset($1::jsonb) AS x(store_id uuid, idempotency_key text, run_id uuid, flow_id uuid, step_id text,
       profile_id uuid, url text, host text, body jsonb)
     ON CONFLICT (store_id, idempotency_key) DO NOTHING`,
    [
      JSON.stringify(calls.map((c) => ({ store_id: c.storeId, idempotency_key: c.idempotencyKey, run_id: c.runId, flow_id: c.flowId, step_id: c.stepId, profile_id: c.profileId, url: c.url, host: c.host, body: c.body }))),
      now,
    ],
  );
  return rowCount ?? 0;
}

/** Finished calls (delivered or finally failed) of these runs, by idempotency key. */
export async function finishedCalls(db: Queryable, runs: Array<{ storeId: StoreId; runId: FlowRunId }>): Promise<Map<string, CallOutcome>> {
  if (runs.length === 0) return new Map();
  const { rows } = await db.query<{ idempotency_key: string; status: string; attempts: number; last_error: string | null }>(
    `SELECT c.idempotency_key, c.status, c.attempts, c.last_error
     FROM jsonb_to_recordset($1::jsonb) AS x(store_id uuid, run_id uuid)
     JOIN outbound_calls c ON c.store_id = x.store_id AND c.run_id = x.run_id
     WHERE c.status IN ('delivered', 'failed')`,
    [JSON.stringify(runs.map((r) => ({ store_id: r.storeId, run_id: r.runId })))],
  );
  return new Map(rows.map((r) => [r.idempotency_key, { ok: r.status === 'delivered', attempts: r.attempts, ...(r.last_error ? { error: r.last_error } : {}) }]));
}

/**
 * Wakes parked runs whose call finished. The tick calls it after saving its runs, in the same
 * transaction: a call that finished while the tick was deciding is not left unnoticed.
 */
export async function wakeRunsWithFinishedCalls(db: Queryable, keys: Array<{ storeId: StoreId; key: string }>, now: Date): Promise<number> {
  if (keys.length === 0) return 0;
  const { rowCount } = await db.query(
    `UPDATE flow_runs r SET next_at = $2
     FROM jsonb_to_recordset($1::jsonb) AS x(store_id uuid, key text)
     JOIN outbound_calls c ON c.store_id = x.store_id AND c.idempotency_key = x.key
     WHERE r.store_id = c.store_id AND r.id = c.run_id AND c.status IN ('delivered', 'failed') AND r.status = 'waiting' AND r.next_at > $2`,
    [JSON.stringify(keys.map((k) => ({ store_id: k.storeId, key: k.key }))), now],
  );
  return rowCount ?? 0;
}

const CLAIM_LOCK = 7_420_313; // arbitrary, fixed: serialises claims so the per-host count is exact

/**
 * Leases due calls (and calls whose lease lapsed: their worker died mid-call) to one worker,
 * never letting one host have more than `perHost` calls in flight. Claims take turns under an
 * advisory lock so two workers cannot both see a free slot for the same host.
 */
export async function claimOutboundCalls(pool: pg.Pool, opts: { now: Date; limit: number; perHost: number; leaseMs: number }): Promise<ClaimedCall[]> {
  if (opts.limit <= 0) return [];
  return withTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [CLAIM_LOCK]);
    const { rows } = await client.query<{ store_id: string; id: string; idempotency_key: string; run_id: string; url: string; host: string; body: unknown; attempts: number }>(
      `WITH busy AS (
         SELECT host, count(*)::int AS n FROM outbound_calls WHERE status = 'calling' AND lease_until >= $1 GROUP BY host
       ), ready AS (
         SELECT store_id, id, host, next_attempt_at,
           row_number() OVER (PARTITION BY host ORDER BY next_attempt_at, id) AS rn
         FROM outbound_calls
         WHERE (status = 'queued' AND next_attempt_at <= $1) OR (status = 'calling' AND lease_until < $1)
       ), picked AS (
         SELECT r.store_id, r.id FROM ready r LEFT JOIN busy b ON b.host = r.host
         WHERE r.rn + COALESCE(b.n, 0) <= $3
         ORDER BY r.next_attempt_at LIMIT $2
       ), due AS (
         SELECT o.store_id, o.id FROM outbound_calls o JOIN picked p ON p.store_id = o.store_id AND p.id = o.id
         WHERE (o.status = 'queued' AND o.next_attempt_at <= $1) OR (o.status = 'calling' AND o.lease_until < $1)
         FOR UPDATE OF o SKIP LOCKED
       )
       UPDATE outbound_calls c SET status = 'calling', attempts = c.attempts + 1,
         lease_until = $1::timestamptz + make_interval(secs => $4::double precision / 1000), updated_at = now()
       FROM due WHERE c.store_id = due.store_id AND c.id = due.id
       RETURNING c.store_id, c.id, c.idempotency_key, c.run_id, c.url, c.host, c.body, c.attempts`,
      [opts.now, opts.limit, opts.perHost, opts.leaseMs],
    );
    return rows.map((r) => ({ storeId: r.store_id as StoreId, id: r.id, idempotencyKey: r.idempotency_key, runId: r.run_id as FlowRunId, url: r.url, host: r.host, body: r.body, attempts: r.attempts }));
  });
}

/**
 * Records an attempt's outcome, guarded by the attempt number: a worker whose lease lapsed and
 * was taken over cannot overwrite the newer attempt. A final outcome wakes the run parked on it.
 */
export async function recordCallOutcome(
  pool: pg.Pool,
  call: { storeId: StoreId; id: string; attempts: number; runId: FlowRunId },
  outcome: { status: 'delivered' | 'failed' | 'queued'; responseStatus: number | null; error: string | null; retryAt: Date | null },
  now: Date,
): Promise<boolean> {
  return withTransaction(pool, async (client) => {
    const { rowCount } = await client.query(
      `UPDATE outbound_calls SET status = $4, response_status = $5, last_error = $6, next_attempt_at = COALESCE($7, next_attempt_at),
         lease_until = NULL, updated_at = now(), completed_at = CASE WHEN $4 = 'queued' THEN NULL ELSE $8::timestamptz END
       WHERE store_id = $1 AND id = $2 AND attempts = $3 AND status = 'calling'`,
      [call.storeId, call.id, call.attempts, outcome.status, outcome.responseStatus, outcome.error, outcome.retryAt, now],
    );
    if (rowCount && outcome.status !== 'queued') {
      await client.query(
        `UPDATE flow_runs SET next_at = $3 WHERE store_id = $1 AND id = $2 AND status IN ('active', 'waiting', 'paused') AND (next_at IS NULL OR next_at > $3)`,
        [call.storeId, call.runId, now],
      );
    }
    return Boolean(rowCount);
  });
}
