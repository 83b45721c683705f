// The parked webhook deliveries support may look at: what a platform signed and we could not
// read, with the reason and the body as it came.
import type { Queryable } from '../db/pool.ts';
import type { StoreId } from '../model/ids.ts';
import { listParked, type ParkedDelivery } from '../db/repositories/webhook-inbox.ts';

export type { ParkedDelivery };

/** A store's parked deliveries, newest first. */
export function parkedDeliveries(deps: { pool: Queryable }, storeId: StoreId): Promise<ParkedDelivery[]> {
  return listParked(deps.pool, storeId);
}
