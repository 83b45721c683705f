// Message writes: the outbox insert, held decisions, and the delivery lease and outcomes.
import type { MessageId, ProfileId, StoreId } from '../../model/ids.ts';
import type { ConsentState } from '../../model/profile.ts';
import type { Queryable } from '../pool.ts';
import { toMessage, type Channel, type ClaimedMessage, type MessageInsert, type MessageRow, type StoredMessage, type StoredStatus } from './message-rows.ts';

export type { Channel, ClaimedMessage, MessageInsert, StoredMessage, StoredStatus } from './message-rows.ts';
export { flowMessageStats, listMessages, recordClick, recordOpen, type MessageQuery, type MessageStats } from './message-reads.ts';

/** Inserts unless the dedupe key is already taken; either way returns the message's id. */
export async function insertMessage(db: Queryable, m: MessageInsert): Promise<{ id: MessageId; created: boolean }> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO messages (store_id, dedupe_key, flow_id, flow_version, run_id, step_id, ab_branch, profile_id, channel,
       recipient, subject, html, body_text, status, reason, not_before, next_attempt_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)
     ON CONFLICT (store_id, dedupe_key) DO NOTHING RETURNING id`,
    [
      m.storeId, m.dedupeKey, m.flowId, m.flowVersion, m.runId, m.stepId, m.abBranch, m.profileId, m.channel,
      m.to, m.subject, m.html, m.text, m.status, m.reason, m.notBefore,
    ],
  );
  if (rows[0]) return { id: rows[0].id as MessageId, created: true };
  const existing = await db.query<{ id: string }>('SELECT id FROM messages WHERE store_id = $1 AND dedupe_key = $2', [m.storeId, m.dedupeKey]);
  return { id: existing.rows[0]!.id as MessageId, created: false };
}

export async function findMessage(db: Queryable, storeId: StoreId, id: MessageId): Promise<StoredMessage | undefined> {
  const { rows } = await db.query<MessageRow>('SELECT * FROM messages WHERE store_id = $1 AND id = $2', [storeId, id]);
  return rows[0] ? toMessage(rows[0]) : undefined;
}

export async function findMessageByDedupeKey(db: Queryable, storeId: StoreId, dedupeKey: string): Promise<StoredMessage | undefined> {
  const { rows } = await db.query<MessageRow>('SELECT * FROM messages WHERE store_id = $1 AND dedupe_key = $2', [storeId, dedupeKey]);
  return rows[0] ? toMessage(rows[0]) : undefined;
}

/** Sent messages count from when they went out; queued ones from when they were made. */
export async function lastMessagedAt(db: Queryable, storeId: StoreId, profileId: ProfileId, channel: Channel): Promise<Date | null> {
  const { rows } = await db.query<{ at: Date | null }>(
    `SELECT max(COALESCE(sent_at, created_at)) AS at FROM messages
     WHERE store_id = $1 AND profile_id = $2 AND channel = $3 AND status IN ('queued', 'sending', 'sent')`,
    [storeId, profileId, channel],
  );
  return rows[0]?.at ?? null;
}

export async function releaseHeld(db: Queryable, storeId: StoreId, id: MessageId, actor: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE messages SET status = 'queued', next_attempt_at = not_before, decided_by = $3, updated_at = now()
     WHERE store_id = $1 AND id = $2 AND status = 'held'`,
    [storeId, id, actor],
  );
  return rowCount === 1;
}

/** Every held message of a flow goes out (the flow was turned live after review). */
export async function releaseHeldForFlow(db: Queryable, storeId: StoreId, flowId: string, actor: string): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE messages SET status = 'queued', next_attempt_at = not_before, decided_by = $3, updated_at = now()
     WHERE store_id = $1 AND flow_id = $2::uuid AND status = 'held'`,
    [storeId, flowId, actor],
  );
  return rowCount ?? 0;
}

/** Every held message of the store (or of one flow) released or skipped at once, by a person. */
export async function decideAllHeld(db: Queryable, storeId: StoreId, flowId: string | null, actor: string, decision: { skip: string } | 'send'): Promise<number> {
  const { rowCount } = decision === 'send'
    ? await db.query(
      `UPDATE messages SET status = 'queued', next_attempt_at = not_before, decided_by = $3, updated_at = now()
       WHERE store_id = $1 AND ($2::uuid IS NULL OR flow_id = $2::uuid) AND status = 'held'`,
      [storeId, flowId, actor],
    )
    : await db.query(
      `UPDATE messages SET status = 'skipped', reason = $4, decided_by = $3, next_attempt_at = NULL, updated_at = now()
       WHERE store_id = $1 AND ($2::uuid IS NULL OR flow_id = $2::uuid) AND status = 'held'`,
      [storeId, flowId, actor, decision.skip],
    );
  return rowCount ?? 0;
}

export async function skipHeld(db: Queryable, storeId: StoreId, id: MessageId, actor: string, reason: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE messages SET status = 'skipped', reason = $4, decided_by = $3, next_attempt_at = NULL, updated_at = now()
     WHERE store_id = $1 AND id = $2 AND status = 'held'`,
    [storeId, id, actor, reason],
  );
  return rowCount === 1;
}

/**
 * Leases up to `limit` due messages (status 'sending', lease until now + leaseMs) and returns
 * them with the profile's current consent. Rows another worker holds are skipped, not waited on.
 */
export async function claimDue(
  db: Queryable,
  opts: { now: Date; limit: number; leaseMs: number; providers: Record<Channel, string> },
): Promise<ClaimedMessage[]> {
  const { rows } = await db.query<MessageRow & { email_consent: ConsentState | null; sms_consent: ConsentState | null; exited_by: string | null }>(
    `WITH due AS (
       SELECT store_id, id FROM messages
       WHERE status = 'queued' AND (next_attempt_at IS NULL OR next_attempt_at <= $1)
       ORDER BY next_attempt_at NULLS FIRST, seq LIMIT $2 FOR UPDATE SKIP LOCKED
     ), claimed AS (
       UPDATE messages m SET status = 'sending', attempts = m.attempts + 1,
         next_attempt_at = $1::timestamptz + make_interval(secs => $3::double precision / 1000),
         provider = CASE m.channel WHEN 'email' THEN $4 ELSE $5 END, updated_at = now()
       FROM due WHERE m.store_id = due.store_id AND m.id = due.id
       RETURNING m.*
     )
     SELECT c.*, p.email_consent, p.sms_consent,
       (SELECT g ->> 'reason' FROM jsonb_array_elements(c.exit_if) g
        WHERE (SELECT count(*) FROM events e WHERE e.store_id = c.store_id AND e.profile_id = c.profile_id
                 AND e.metric = g ->> 'metric' AND e.time >= (g ->> 'since')::timestamptz) >= (g ->> 'atLeast')::int
        LIMIT 1) AS exited_by
     FROM claimed c
     LEFT JOIN profiles p ON p.store_id = c.store_id AND p.id = c.profile_id
     ORDER BY c.seq`,
    [opts.now, opts.limit, opts.leaseMs, opts.providers.email, opts.providers.sms],
  );
  return rows.map((r) => ({
    ...toMessage(r),
    consent: r.email_consent && r.sms_consent ? { email: r.email_consent, sms: r.sms_consent } : null,
    exitedBy: r.exited_by,
  }));
}

/**
 * Leases that lapsed while 'sending' belong to a worker that died mid-delivery. With the outbox
 * nothing left the process, so the message is simply due again. With a real provider the mail or
 * SMS may already be out: sending again risks a duplicate, so it is failed with that reason for a
 * person to look at. A missed message is visible in the report; a duplicate cannot be taken back.
 */
export async function recoverLapsed(db: Queryable, now: Date): Promise<{ requeued: number; failed: number }> {
  const { rows } = await db.query<{ status: StoredStatus }>(
    `UPDATE messages SET
       status = CASE WHEN provider = 'outbox' THEN 'queued' ELSE 'failed' END,
       reason = CASE WHEN provider = 'outbox' THEN reason ELSE 'interrupted during delivery' END,
       next_attempt_at = CASE WHEN provider = 'outbox' THEN $1 ELSE NULL END,
       updated_at = now()
     WHERE status = 'sending' AND next_attempt_at < $1
     RETURNING status`,
    [now],
  );
  return { requeued: rows.filter((r) => r.status === 'queued').length, failed: rows.filter((r) => r.status === 'failed').length };
}

export type Attempt = { storeId: StoreId; id: MessageId; attempts: number };

/**
 * Records a delivery. A worker that outlived its lease may find its message already failed as
 * interrupted; the provider accepted it, so the truth is 'sent'.
 */
export async function markSent(db: Queryable, a: Attempt, providerId: string | null, now: Date): Promise<void> {
  await markSentMany(db, [{ ...a, providerId }], now);
}

export async function markSentMany(db: Queryable, list: Array<Attempt & { providerId: string | null }>, now: Date): Promise<void> {
  if (list.length === 0) return;
  await db.query(
    `UPDATE messages m SET status = 'sent', sent_at = $5, provider_id = x.provider_id, reason = NULL, last_error = NULL,
       next_attempt_at = NULL, updated_at = now()
     FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::text[]) AS x(store_id, id, attempts, provider_id)
     WHERE m.store_id = x.store_id AND m.id = x.id AND m.attempts = x.attempts
       AND (m.status = 'sending' OR (m.status = 'failed' AND m.reason = 'interrupted during delivery'))`,
    [list.map((x) => x.storeId), list.map((x) => x.id), list.map((x) => x.attempts), list.map((x) => x.providerId), now],
  );
}

/** Back to queued, due at `retryAt`; the attempt count stays for the backoff and the limit. */
export async function markRetry(db: Queryable, a: Attempt, error: string, retryAt: Date): Promise<void> {
  await db.query(
    `UPDATE messages SET status = 'queued', next_attempt_at = $4, last_error = $5, updated_at = now()
     WHERE store_id = $1 AND id = $2 AND attempts = $3 AND status = 'sending'`,
    [a.storeId, a.id, a.attempts, retryAt, error.slice(0, 2000)],
  );
}

/** Ends an attempt without sending: 'failed' (provider refused) or 'skipped' (consent gone). */
export async function markFinal(db: Queryable, a: Attempt, status: 'failed' | 'skipped', reason: string, error: string | null = null): Promise<void> {
  await db.query(
    `UPDATE messages SET status = $4, reason = $5, last_error = COALESCE($6, last_error), next_attempt_at = NULL, updated_at = now()
     WHERE store_id = $1 AND id = $2 AND attempts = $3 AND status = 'sending'`,
    [a.storeId, a.id, a.attempts, status, reason.slice(0, 500), error?.slice(0, 2000) ?? null],
  );
}
