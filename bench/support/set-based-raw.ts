// The steps benchmark's limit: each phase's durable writes as one SQL statement over every due
// run, on one connection. The same rows the engine leaves (run states, step log rows, queued
// messages with their rendered subject and body), the same tables and indexes, the same commit
// settings; no lease, no round trip per batch, no work in Node. Nothing the engine could do for
// the same writes is cheaper than this.
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { BENCH_FLOW } from './flow-shape.ts';

// Same length as the signed link the engine renders; its content does not matter here.
const unsubscribe = `http://localhost:3000/u/${randomBytes(96).toString('base64url')}`;

/** Phase 0: every run takes its delay. Phase 1: every run takes the split and the email. */
export async function setBasedPhase(c: pg.Client, phase: number, now: Date): Promise<{ steps: number; messages: number }> {
  return phase === 0 ? delayPhase(c, now) : mailPhase(c, now);
}

async function delayPhase(c: pg.Client, now: Date): Promise<{ steps: number; messages: number }> {
  const delay = await c.query<{ steps: number }>(
    `WITH due AS (
       UPDATE flow_runs r SET current_step = $2, next_at = $1::timestamptz + make_interval(secs => $4::double precision / 1000),
         step_count = step_count + 1, context = '{"webhooks": {}, "branches": {}}'
       WHERE status IN ('active', 'waiting') AND next_at <= $1 AND current_step = $3
       RETURNING r.store_id, r.id, r.flow_id, r.step_count - 1 AS seq, r.next_at
     ), logs AS (
       INSERT INTO flow_run_steps (store_id, run_id, seq, flow_id, step_id, outcome, at)
       SELECT store_id, id, seq, flow_id, $3, 'delayed until ' || to_char(next_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), $1 FROM due
       RETURNING 1
     )
     SELECT count(*)::int AS steps FROM logs`,
    [now, BENCH_FLOW.splitStep, BENCH_FLOW.delayStep, BENCH_FLOW.delayMs],
  );
  return { steps: delay.rows[0]!.steps, messages: 0 };
}

async function mailPhase(c: pg.Client, now: Date): Promise<{ steps: number; messages: number }> {
  // The split ("no order since entry") and the email, in one statement: the split's fact read is
  // the engine's work, not a write, so it is not repeated here; every run takes "no".
  const mail = await c.query<{ steps: number; messages: number }>(
    `WITH due AS (
       UPDATE flow_runs r SET status = 'completed', current_step = NULL, next_at = NULL, step_count = step_count + 2,
         context = '{"webhooks": {}, "branches": {}}', end_reason = 'reached the end', ended_at = $1
       WHERE status IN ('active', 'waiting') AND next_at <= $1 AND current_step = $2
       RETURNING r.store_id, r.id, r.flow_id, r.version, r.profile_id, r.step_count - 2 AS seq,
         r.trigger_event->'properties'->>'CheckoutURL' AS checkout_url
     ), logs AS (
       INSERT INTO flow_run_steps (store_id, run_id, seq, flow_id, step_id, outcome, at)
       SELECT store_id, id, seq + s.o, flow_id, s.step_id, s.outcome, $1
       FROM due CROSS JOIN (VALUES (0, $2, 'no'), (1, $3, 'queued')) AS s(o, step_id, outcome)
       RETURNING 1
     ), sent AS (
       INSERT INTO messages (store_id, dedupe_key, flow_id, flow_version, run_id, step_id, ab_branch, profile_id, channel,
         recipient, subject, html, body_text, status, reason, not_before, next_attempt_at)
       SELECT d.store_id, 'flow:' || d.id || ':' || $3 || ':' || (d.seq + 1), d.flow_id, d.version, d.id, $3, NULL, d.profile_id, 'email',
         p.email, $4 || COALESCE(p.first_name, '') || $5,
         $6 || COALESCE(p.first_name, '') || $7 || d.checkout_url || $8 || $9 || $10, NULL, 'queued', NULL, NULL, NULL
       FROM due d JOIN profiles p ON p.store_id = d.store_id AND p.id = d.profile_id
       ON CONFLICT (store_id, dedupe_key) DO NOTHING
       RETURNING 1
     )
     SELECT (SELECT count(*) FROM logs)::int AS steps, (SELECT count(*) FROM sent)::int AS messages`,
    [now, BENCH_FLOW.splitStep, BENCH_FLOW.emailStep, ...templateParts(), unsubscribe, templateTail()],
  );
  return mail.rows[0]!;
}

const MARK = '\u0000';

/** The subject and body templates of flow-shape.ts split around the values SQL fills in. */
function templateParts(): string[] {
  const [subjectHead, subjectTail] = BENCH_FLOW.subject(MARK).split(MARK);
  const [htmlHead, htmlMid, htmlAfterUrl] = BENCH_FLOW.html(MARK, MARK, MARK).split(MARK);
  return [subjectHead!, subjectTail!, htmlHead!, htmlMid!, htmlAfterUrl!];
}

function templateTail(): string {
  return BENCH_FLOW.html(MARK, MARK, MARK).split(MARK)[3]!;
}
