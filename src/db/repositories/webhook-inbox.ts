import type { StoreId } from '../../model/ids.ts';
import type { Queryable } from '../pool.ts';

export type InboxEntry = {
  storeId: StoreId;
  id: number;
  source: string;
  deliveryId: string;
  topic: string;
  payload: unknown;
  triggeredAt: Date | null;
  receivedAt: Date;
  attempts: number;
};

type InboxRow = {
  store_id: string;
  id: number;
  source: string;
  delivery_id: string;
  topic: string;
  payload: unknown;
  triggered_at: Date | null;
  received_at: Date;
  attempts: number;
};

const toEntry = (r: InboxRow): InboxEntry => ({
  storeId: r.store_id as StoreId,
  id: r.id,
  source: r.source,
  deliveryId: r.delivery_id,
  topic: r.topic,
  payload: r.payload,
  triggeredAt: r.triggered_at,
  receivedAt: r.received_at,
  attempts: r.attempts,
});

/** Stores a verified delivery; false when this delivery id is already in (a retry or a copy). */
export async function enqueueDelivery(
  db: Queryable,
  e: { storeId: StoreId; source: string; deliveryId: string; topic: string; payload: unknown; triggeredAt?: Date | undefined },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO webhook_inbox (store_id, source, delivery_id, topic, payload, triggered_at)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6) ON CONFLICT (store_id, source, delivery_id) DO NOTHING`,
    [e.storeId, e.source, e.deliveryId, e.topic, JSON.stringify(e.payload), e.triggeredAt ?? null],
  );
  return rowCount === 1;
}

/**
 * Leases up to `limit` due deliveries, oldest first. The lease (next_attempt_at pushed out) is
 * what a crashed worker leaves behind: the delivery comes due again when it lapses.
 */
export async function leaseDue(db: Queryable, limit: number, leaseMs: number): Promise<InboxEntry[]> {
  const { rows } = await db.query<InboxRow>(
    `UPDATE webhook_inbox w SET attempts = w.attempts + 1, next_attempt_at = now() + make_interval(secs => $2::double precision / 1000)
     FROM (SELECT store_id, id FROM webhook_inbox WHERE processed_at IS NULL AND next_attempt_at <= now()
           ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED) due
     WHERE w.store_id = due.store_id AND w.id = due.id
     RETURNING w.store_id, w.id, w.source, w.delivery_id, w.topic, w.payload, w.triggered_at, w.received_at, w.attempts`,
    [limit, leaseMs],
  );
  return rows.map(toEntry).sort((a, b) => a.id - b.id);
}

/** Marks a batch processed in one statement. */
export async function markProcessedMany(db: Queryable, done: Array<{ storeId: string; id: number; outcome: string }>): Promise<void> {
  if (done.length === 0) return;
  await db.query(
    `UPDATE webhook_inbox w SET processed_at = now(), outcome = x.outcome, last_error = NULL
     FROM jsonb_to_recordset($1::jsonb) AS x(store_id uuid, id bigint, outcome text)
     WHERE w.store_id = x.store_id AND w.id = x.id`,
    [JSON.stringify(done.map((d) => ({ store_id: d.storeId, id: d.id, outcome: d.outcome.slice(0, 500) })))],
  );
}

export async function markFailed(db: Queryable, storeId: StoreId, id: number, error: string, retryInMs: number | null): Promise<void> {
  // retryInMs null: give up (kept, with its error, for support to look into).
  await db.query(
    `UPDATE webhook_inbox SET last_error = $3,
       next_attempt_at = CASE WHEN $4::double precision IS NULL THEN next_attempt_at ELSE now() + make_interval(secs => $4::double precision / 1000) END,
       processed_at = CASE WHEN $4::double precision IS NULL THEN now() ELSE NULL END,
       outcome = CASE WHEN $4::double precision IS NULL THEN 'failed' ELSE NULL END
     WHERE store_id = $1 AND id = $2`,
    [storeId, id, error.slice(0, 2000), retryInMs],
  );
}

/** Drops processed deliveries older than the cutoff; failed ones stay for support. */
export async function purgeProcessed(db: Queryable, olderThan: Date): Promise<number> {
  const { rowCount } = await db.query(
    "DELETE FROM webhook_inbox WHERE processed_at < $1 AND outcome IS DISTINCT FROM 'failed'",
    [olderThan],
  );
  return rowCount ?? 0;
}
