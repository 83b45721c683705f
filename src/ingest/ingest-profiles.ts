import type pg from 'pg';
import type { StoreId } from '../model/ids.ts';
import type { ProfileInput } from '../model/profile.ts';
import { DUPLICATE, transactOnce, type Delivery } from './record-delivery.ts';
import { upsertProfile } from '../db/repositories/profiles.ts';

/** Upserts a batch of profiles atomically: all of the call or none. */
export async function ingestProfiles(
  pool: pg.Pool,
  storeId: StoreId,
  profiles: ProfileInput[],
  opts: { delivery?: Delivery } = {},
): Promise<{ upserted: number; duplicateDelivery: boolean }> {
  if (profiles.length === 0) return { upserted: 0, duplicateDelivery: false };
  const done = await transactOnce(pool, storeId, opts.delivery, async (tx) => {
    for (const p of profiles) await upsertProfile(tx, storeId, p);
  });
  if (done === DUPLICATE) return { upserted: 0, duplicateDelivery: true };
  return { upserted: profiles.length, duplicateDelivery: false };
}
