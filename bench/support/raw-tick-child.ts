// The raw side of the steps benchmark: one process doing, per batch of 500 due runs, the same
// writes a flow tick makes (lease UPDATE with SKIP LOCKED; then in one transaction the messages,
// the step log rows and the run UPDATE), as plain set-based SQL with the decisions precomputed.
// What the engine adds on top (fact reads, orchestration, rendering, validation) is what the
// ratio measures.
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { serveTicks } from './tick-children.ts';
import { BENCH_FLOW } from './flow-shape.ts';

const BATCH = 500;

const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL is not set');
const pool = new pg.Pool({ connectionString: url, max: 2 });

// Recipients and names are known before the clock starts: looking them up is a read, and this
// side measures writes only.
const { rows: people } = await pool.query<{ id: string; email: string; first_name: string | null }>('SELECT id, email, first_name FROM profiles');
const profiles = new Map(people.map((p) => [p.id, p]));
// Same length as the signed link the engine renders; its content does not matter here.
const unsubscribe = `http://localhost:3000/u/${randomBytes(96).toString('base64url')}`;

type Claimed = { id: string; store_id: string; flow_id: string; profile_id: string; current_step: string; step_count: number; checkout_url: string };

async function tick(now: Date) {
  const token = randomUUID();
  const { rows } = await pool.query<Claimed>(
    `UPDATE flow_runs r SET lease_token = $4, lease_until = $1::timestamptz + make_interval(secs => $3::double precision / 1000)
     FROM (SELECT store_id, id FROM flow_runs
           WHERE status IN ('active', 'waiting') AND next_at <= $1 AND (lease_until IS NULL OR lease_until < $1)
           ORDER BY next_at LIMIT $2 FOR UPDATE SKIP LOCKED) due
     WHERE r.store_id = due.store_id AND r.id = due.id
     RETURNING r.id, r.store_id, r.flow_id, r.profile_id, r.current_step, r.step_count,
       r.trigger_event->'properties'->>'CheckoutURL' AS checkout_url`,
    [now, BATCH, 120_000, token],
  );
  if (rows.length === 0) return { claimed: 0, steps: 0, messages: 0 };

  const at = now.toISOString();
  const logs: object[] = [];
  const runs: object[] = [];
  const messages: object[] = [];
  for (const r of rows) {
    const log = (seq: number, stepId: string, outcome: string) =>
      logs.push({ store_id: r.store_id, run_id: r.id, seq, flow_id: r.flow_id, step_id: stepId, outcome, at });
    if (r.current_step === BENCH_FLOW.delayStep) {
      const due = new Date(now.getTime() + BENCH_FLOW.delayMs).toISOString();
      log(r.step_count, BENCH_FLOW.delayStep, `delayed until ${due}`);
      runs.push({ store_id: r.store_id, id: r.id, status: 'active', current_step: BENCH_FLOW.splitStep, next_at: due, step_count: r.step_count + 1, context: { webhooks: {}, branches: {} }, wait_metric: null, end_reason: null, ended_at: null });
    } else {
      const p = profiles.get(r.profile_id)!;
      log(r.step_count, BENCH_FLOW.splitStep, 'no');
      log(r.step_count + 1, BENCH_FLOW.emailStep, 'queued');
      messages.push({
        store_id: r.store_id,
        dedupe_key: `flow:${r.id}:${BENCH_FLOW.emailStep}:${r.step_count + 1}`,
        flow_id: r.flow_id,
        flow_version: 1,
        run_id: r.id,
        step_id: BENCH_FLOW.emailStep,
        ab_branch: null,
        profile_id: r.profile_id,
        channel: 'email',
        recipient: p.email,
        subject: BENCH_FLOW.subject(p.first_name ?? ''),
        html: BENCH_FLOW.html(p.first_name ?? '', r.checkout_url, unsubscribe),
        body_text: null,
        status: 'queued',
        reason: null,
        not_before: null,
      });
      runs.push({ store_id: r.store_id, id: r.id, status: 'completed', current_step: null, next_at: null, step_count: r.step_count + 2, context: { webhooks: {}, branches: {} }, wait_metric: null, end_reason: 'reached the end', ended_at: at });
    }
  }

  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    if (messages.length > 0) {
      await client.query(
        `INSERT INTO messages (store_id, dedupe_key, flow_id, flow_version, run_id, step_id, ab_branch, profile_id, channel,
           recipient, subject, html, body_text, status, reason, not_before, next_attempt_at)
         SELECT store_id, dedupe_key, flow_id, flow_version, run_id, step_id, ab_branch, profile_id, channel,
           recipient, subject, html, body_text, status, reason, not_before, not_before
         FROM jsonb_to_recordset($1::jsonb) AS x(store_id uuid, dedupe_key text, flow_id uuid, flow_version integer, run_id uuid,
           step_id text, ab_branch text, profile_id uuid, channel text, recipient text, subject text, html text, body_text text,
           status text, reason text, not_before timestamptz)
         ON CONFLICT (store_id, dedupe_key) DO NOTHING`,
        [JSON.stringify(messages)],
      );
    }
    await client.query(
      `INSERT INTO flow_run_steps (store_id, run_id, seq, flow_id, step_id, outcome, at)
       SELECT store_id, run_id, seq, flow_id, step_id, outcome, at
       FROM jsonb_to_recordset($1::jsonb) AS x(store_id uuid, run_id uuid, seq integer, flow_id uuid, step_id text, outcome text, at timestamptz)
       ON CONFLICT DO NOTHING`,
      [JSON.stringify(logs)],
    );
    const saved = await client.query(
      `UPDATE flow_runs r SET status = x.status, current_step = x.current_step, next_at = x.next_at, step_count = x.step_count,
         context = x.context, wait_metric = x.wait_metric, end_reason = x.end_reason, ended_at = x.ended_at,
         lease_token = NULL, lease_until = NULL
       FROM jsonb_to_recordset($2::jsonb) AS x(store_id uuid, id uuid, status text, current_step text, next_at timestamptz,
         step_count integer, context jsonb, wait_metric text, end_reason text, ended_at timestamptz)
       WHERE r.store_id = x.store_id AND r.id = x.id AND r.lease_token = $1`,
      [token, JSON.stringify(runs)],
    );
    if (saved.rowCount !== runs.length) throw new Error(`lost the lease on ${runs.length - (saved.rowCount ?? 0)} runs`);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
  return { claimed: rows.length, steps: logs.length, messages: messages.length };
}

serveTicks(tick, () => pool.end());
