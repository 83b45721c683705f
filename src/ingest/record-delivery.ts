import type pg from 'pg';
import type { StoreId } from '../model/ids.ts';
import { withTransaction } from '../db/pool.ts';
import { recordDelivery } from '../db/repositories/deliveries.ts';

/** A platform's id for one webhook delivery (stable across its retries). */
export type Delivery = { source: string; id: string };

export const DUPLICATE = Symbol('duplicate delivery');

/**
 * Runs `work` in a transaction, once per delivery id when one is given. The id is recorded in
 * the same transaction as the work, so a crash in between leaves neither behind and the
 * platform's retry does the work; a concurrent copy waits on the unique key, then sees it taken.
 */
export async function transactOnce<T>(
  pool: pg.Pool,
  storeId: StoreId,
  delivery: Delivery | undefined,
  work: (tx: pg.PoolClient) => Promise<T>,
): Promise<T | typeof DUPLICATE> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await withTransaction(pool, async (tx) => {
        if (delivery && !(await recordDelivery(tx, storeId, delivery.source, delivery.id))) throw DUPLICATE;
        return work(tx);
      });
    } catch (err) {
      if (err === DUPLICATE) return DUPLICATE;
      // Two deliveries joining the same people can still meet in opposite orders (identity
      // resolution locks what it can in one order): Postgres picks one to fail; it runs again.
      if (attempt < 3 && RETRYABLE.has((err as { code?: string }).code ?? '')) continue;
      throw err;
    }
  }
}

/** deadlock_detected, serialization_failure */
const RETRYABLE = new Set(['40P01', '40001']);
