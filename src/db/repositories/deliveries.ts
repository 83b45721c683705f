import type { StoreId } from '../../model/ids.ts';
import type { Queryable } from '../pool.ts';

/** Records a webhook delivery id; false when it was seen before (a retry or a duplicate). */
export async function recordDelivery(db: Queryable, storeId: StoreId, source: string, deliveryId: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO webhook_deliveries (store_id, source, delivery_id) VALUES ($1, $2, $3)
     ON CONFLICT (store_id, source, delivery_id) DO NOTHING`,
    [storeId, source, deliveryId],
  );
  return rowCount === 1;
}

/** Forgets delivery ids older than the retention window; returns how many went. */
export async function expireDeliveries(db: Queryable, olderThan: Date): Promise<number> {
  const { rowCount } = await db.query('DELETE FROM webhook_deliveries WHERE received_at < $1', [olderThan]);
  return rowCount ?? 0;
}

/** Records many delivery ids at once; returns the keys (`source\0id`) that were new. */
export async function recordDeliveries(db: Queryable, storeId: StoreId, deliveries: Array<{ source: string; id: string }>): Promise<Set<string>> {
  if (deliveries.length === 0) return new Set();
  const { rows } = await db.query<{ source: string; delivery_id: string }>(
    `INSERT INTO webhook_deliveries (store_id, source, delivery_id)
     SELECT $1, source, id FROM jsonb_to_recordset($2::jsonb) AS x(source text, id text)
     ON CONFLICT (store_id, source, delivery_id) DO NOTHING RETURNING source, delivery_id`,
    [storeId, JSON.stringify(deliveries)],
  );
  return new Set(rows.map((r) => `${r.source}\u0000${r.delivery_id}`));
}
