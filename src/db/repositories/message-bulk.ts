// Many messages in one statement (a flow tick's decisions). insertMessage costs a round trip
// per row, and a tick decides for a whole batch of runs: those round trips were most of a
// tick's time. Same table, columns and dedupe rule as insertMessage (messages.ts): a dedupe key
// already taken makes nothing.
import type { Queryable } from '../pool.ts';
import type { MessageInsert } from './messages.ts';

/** Inserts in list order, so `seq` follows the tick's decisions; returns how many sendable (not skipped) rows were new. */
export async function insertMessages(db: Queryable, rows: MessageInsert[]): Promise<number> {
  if (rows.length === 0) return 0;
  const { rows: counted } = await db.query<{ created: number }>(
    `WITH created AS (
       INSERT INTO messages (store_id, dedupe_key, flow_id, flow_version, run_id, step_id, ab_branch, profile_id, channel,
         recipient, subject, html, body_text, status, reason, not_before, next_attempt_at, exit_if)
       SELECT store_id, dedupe_key, flow_id, flow_version, run_id, step_id, ab_branch, profile_id, channel,
         recipient, subject, html, body_text, status, reason, not_before, not_before, exit_if
       FROM jsonb_to_recordset($1::jsonb) AS x(ord integer, store_id uuid, dedupe_key text, flow_id uuid, flow_version integer,
         run_id uuid, step_id text, ab_branch text, profile_id uuid, channel text, recipient text, subject text, html text,
         body_text text, status text, reason text, not_before timestamptz, exit_if jsonb)
       ORDER BY ord
       ON CONFLICT (store_id, dedupe_key) DO NOTHING
       RETURNING status
     )
     SELECT count(*) FILTER (WHERE status <> 'skipped')::int AS created FROM created`,
    [
      JSON.stringify(
        rows.map((m, ord) => ({
          ord,
          store_id: m.storeId,
          dedupe_key: m.dedupeKey,
          flow_id: m.flowId,
          flow_version: m.flowVersion,
          run_id: m.runId,
          step_id: m.stepId,
          ab_branch: m.abBranch,
          profile_id: m.profileId,
          channel: m.channel,
          recipient: m.to,
          subject: m.subject,
          html: m.html,
          body_text: m.text,
          status: m.status,
          reason: m.reason,
          not_before: m.notBefore?.toISOString() ?? null,
          exit_if: m.exitIf?.length ? m.exitIf : null,
        })),
      ),
    ],
  );
  return counted[0]!.created;
}
