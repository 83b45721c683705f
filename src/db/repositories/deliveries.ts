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
