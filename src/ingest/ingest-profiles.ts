import type pg from 'pg';
import type { ProfileId, StoreId } from '../model/ids.ts';
import type { ProfileInput } from '../model/profile.ts';
import type { Queryable } from '../db/pool.ts';
import { DUPLICATE, transactOnce, type Delivery } from './record-delivery.ts';
import { updateProfileFields } from '../db/repositories/profiles.ts';
import { resolveProfiles } from './resolve-profiles.ts';

/**
 * Creates or updates one profile: found (or made, or merged) by every identifier it names, then
 * given the fields the call sets.
 */
export async function upsertProfile(db: Queryable, storeId: StoreId, p: ProfileInput): Promise<ProfileId> {
  const [id] = await resolveProfiles(db, storeId, [p]);
  await updateProfileFields(db, storeId, id!, p);
  return id!;
}

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
