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

/** The outcome of a delivery we acknowledged but could not read: kept, with its reason, until replayed. */
export const PARKED = 'parked';

export async function markFailed(db: Queryable, storeId: StoreId, id: number, error: string, retryInMs: number | null): Promise<void> {
  // retryInMs null: give up and park it (kept, with its reason, for support to replay after a fix).
  await db.query(
    `UPDATE webhook_inbox SET last_error = $3,
       next_attempt_at = CASE WHEN $4::double precision IS NULL THEN next_attempt_at ELSE now() + make_interval(secs => $4::double precision / 1000) END,
       processed_at = CASE WHEN $4::double precision IS NULL THEN now() ELSE NULL END,
       outcome = CASE WHEN $4::double precision IS NULL THEN '${PARKED}' ELSE NULL END
     WHERE store_id = $1 AND id = $2`,
    [storeId, id, error.slice(0, 2000), retryInMs],
  );
}

/** Drops processed deliveries older than the cutoff; parked ones stay until replayed or erased. */
export async function purgeProcessed(db: Queryable, olderThan: Date): Promise<number> {
  const { rowCount } = await db.query(`DELETE FROM webhook_inbox WHERE processed_at < $1 AND outcome IS DISTINCT FROM '${PARKED}'`, [olderThan]);
  return rowCount ?? 0;
}

export type ParkedDelivery = {
  id: number;
  source: string;
  deliveryId: string;
  topic: string;
  reason: string | null;
  receivedAt: Date;
  attempts: number;
  /** The payload as stored, or the raw bytes as text when they could not be stored as JSON. */
  body: string;
};

/** A store's parked deliveries, newest first. */
export async function listParked(db: Queryable, storeId: StoreId, limit = 100): Promise<ParkedDelivery[]> {
  const { rows } = await db.query<ParkedDelivery>(
    `SELECT id::int AS id, source, delivery_id AS "deliveryId", topic, last_error AS reason, received_at AS "receivedAt", attempts,
       CASE WHEN raw_body IS NOT NULL THEN convert_from(raw_body, 'UTF8') ELSE payload::text END AS body
     FROM webhook_inbox WHERE store_id = $1 AND outcome = '${PARKED}' ORDER BY id DESC LIMIT $2`,
    [storeId, limit],
  );
  return rows;
}

/**
 * Takes parked deliveries of one store for a replay: they leave 'parked' and are leased like due
 * ones, so a worker does not pick them up meanwhile and a failed replay parks them again. `ids`
 * null takes every parked delivery of the store.
 */
export async function leaseParked(db: Queryable, storeId: StoreId, ids: number[] | null, leaseMs: number): Promise<Array<InboxEntry & { rawBody: Buffer | null }>> {
  const { rows } = await db.query<InboxRow & { raw_body: Buffer | null }>(
    `UPDATE webhook_inbox SET processed_at = NULL, outcome = NULL, attempts = attempts + 1,
       next_attempt_at = now() + make_interval(secs => $3::double precision / 1000)
     WHERE store_id = $1 AND outcome = '${PARKED}' AND ($2::bigint[] IS NULL OR id = ANY($2::bigint[]))
     RETURNING store_id, id, source, delivery_id, topic, payload, triggered_at, received_at, attempts, raw_body`,
    [storeId, ids, leaseMs],
  );
  return rows.map((r) => ({ ...toEntry(r), rawBody: r.raw_body })).sort((a, b) => a.id - b.id);
}

/** Outcomes of the given deliveries, for reporting a replay. */
export async function outcomesOf(db: Queryable, storeId: StoreId, ids: number[]): Promise<Array<{ id: number; outcome: string | null; reason: string | null }>> {
  const { rows } = await db.query<{ id: number; outcome: string | null; reason: string | null }>(
    'SELECT id::int AS id, outcome, last_error AS reason FROM webhook_inbox WHERE store_id = $1 AND id = ANY($2::bigint[]) ORDER BY id',
    [storeId, ids],
  );
  return rows;
}

export type IntakeItem = {
  shop: string;
  deliveryId: string;
  topic: string;
  payload: unknown;
  triggeredAt?: Date | undefined;
  /** The connector takes this topic from a shop that has uninstalled (privacy requests). */
  acceptWhileUninstalled: boolean;
  /** How the delivery was proven; 'standard-webhooks' raises the store's requirement to that. */
  signedWith?: 'header' | 'standard-webhooks' | undefined;
  /** Set when the signed delivery cannot be read: it is stored parked, with this reason. */
  parkedReason?: string | undefined;
  /** The bytes as received, kept when the payload itself cannot be stored (parked deliveries). */
  rawBody?: Buffer | undefined;
};

export type IntakeResult = { status: 'queued' | 'parked' | 'duplicate' | 'unknown-shop' | 'uninstalled' | 'weaker-signature'; storeId: StoreId | null };

const INTAKE_SQL = `WITH x AS (
       SELECT * FROM jsonb_to_recordset($2::jsonb) AS x(i int, shop text, delivery_id text, topic text, payload jsonb, triggered_at timestamptz, allow boolean, signed text, parked text, raw text)
     ), s AS (
       SELECT x.*, st.id AS store_id, st.status,
         -- A store that has had a Standard Webhooks signature never takes less again.
         (st.webhook_signing = 'standard-webhooks' AND x.signed IS DISTINCT FROM 'standard-webhooks') AS weaker
       FROM x LEFT JOIN LATERAL (
         SELECT id, status, webhook_signing FROM stores WHERE platform = $1 AND (domain = x.shop OR external_id = x.shop) ORDER BY (domain = x.shop) DESC LIMIT 1
       ) st ON true
     ), raised AS (
       UPDATE stores SET webhook_signing = 'standard-webhooks', updated_at = now()
       WHERE id IN (SELECT store_id FROM s WHERE signed = 'standard-webhooks') AND webhook_signing <> 'standard-webhooks'
     ), ins AS (
       INSERT INTO webhook_inbox (store_id, source, delivery_id, topic, payload, triggered_at, raw_body, processed_at, outcome, last_error)
       -- A body of JSON null comes out of the recordset as SQL NULL; it is stored as it came.
       SELECT store_id, $1, delivery_id, topic, COALESCE(payload, 'null'::jsonb), triggered_at, decode(raw, 'base64'),
         CASE WHEN parked IS NULL THEN NULL ELSE now() END, CASE WHEN parked IS NULL THEN NULL ELSE '${PARKED}' END, parked FROM s
       WHERE store_id IS NOT NULL AND (status <> 'uninstalled' OR allow) AND NOT weaker
       ORDER BY i
       ON CONFLICT (store_id, source, delivery_id, topic) DO NOTHING
       RETURNING store_id, delivery_id, topic
     )
     SELECT s.i, s.store_id, s.status, s.weaker, (ins.delivery_id IS NOT NULL) AS inserted
     FROM s LEFT JOIN ins ON ins.store_id = s.store_id AND ins.delivery_id = s.delivery_id AND ins.topic = s.topic`;

/**
 * Finds each delivery's store and stores the delivery in one statement for the whole batch: the
 * webhook route's only database work, so its round trips are shared by every request in flight.
 * The store is matched as findStoreByShop does (domain first, then the platform's own id).
 */
export async function enqueueDeliveries(db: Queryable, source: string, items: IntakeItem[]): Promise<IntakeResult[]> {
  // Copies of one delivery in the same batch: the first is written, the rest answer as it does.
  const first = new Map<string, number>();
  const rows: Array<Record<string, unknown>> = [];
  items.forEach((it, i) => {
    const key = `${it.shop}\u0000${it.topic}\u0000${it.deliveryId}`;
    if (first.has(key)) return;
    first.set(key, i);
    rows.push({
      i, shop: it.shop, delivery_id: it.deliveryId, topic: it.topic,
      // A parked delivery whose payload cannot be stored keeps its raw bytes instead.
      payload: it.rawBody && it.parkedReason ? null : it.payload,
      triggered_at: it.triggeredAt?.toISOString() ?? null, allow: it.acceptWhileUninstalled, signed: it.signedWith ?? null,
      parked: it.parkedReason?.slice(0, 2000) ?? null, raw: it.rawBody?.toString('base64') ?? null,
    });
  });
  // Unnamed on purpose: the embedded database is one backend behind every pool connection, so a
  // statement prepared by name on one connection would collide with the same name on another.
  const { rows: out } = await db.query<{ i: number; store_id: string | null; status: string | null; weaker: boolean | null; inserted: boolean }>(INTAKE_SQL, [
    source,
    JSON.stringify(rows),
  ]);
  const byIndex = new Map<number, IntakeResult>();
  for (const r of out) {
    const storeId = r.store_id as StoreId | null;
    const item = items[r.i]!;
    const status: IntakeResult['status'] =
      storeId === null
        ? 'unknown-shop'
        : r.status === 'uninstalled' && !item.acceptWhileUninstalled
          ? 'uninstalled'
          : r.weaker
            ? 'weaker-signature'
            : r.inserted
              ? item.parkedReason ? 'parked' : 'queued'
              : 'duplicate';
    byIndex.set(r.i, { status, storeId });
  }
  return items.map((it, i) => {
    const lead = first.get(`${it.shop}\u0000${it.topic}\u0000${it.deliveryId}`)!;
    const result = byIndex.get(lead);
    if (!result) throw new Error(`webhook intake: no answer for delivery ${it.deliveryId}`);
    if (lead === i) return result;
    return result.status === 'queued' || result.status === 'parked' ? { ...result, status: 'duplicate' } : result;
  });
}
