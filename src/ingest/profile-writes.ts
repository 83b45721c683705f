// Profile writes addressed the way Klaviyo addresses them: create refuses a person who already
// exists (naming them), update finds the person by our id. Both go through upsertProfile.
import type pg from 'pg';
import type { ProfileId, StoreId } from '../model/ids.ts';
import type { ProfileInput } from '../model/profile.ts';
import { withTransaction } from '../db/pool.ts';
import { upsertProfile } from './ingest-profiles.ts';
import { identityById, profileHolding } from '../db/repositories/profile-lookups.ts';

export type CreateOutcome = { created: ProfileId } | { exists: ProfileId };

export async function createProfile(pool: pg.Pool, storeId: StoreId, p: ProfileInput): Promise<CreateOutcome> {
  return withTransaction(pool, async (tx) => {
    const holder = await profileHolding(tx, storeId, p);
    if (holder) return { exists: holder };
    return { created: await upsertProfile(tx, storeId, p) };
  });
}

export type UpdateOutcome = { updated: ProfileId } | { missing: true } | { conflict: 'email' | 'phone' | 'externalId' };

/**
 * Applies the given fields to the profile with this id. An identifier it already has is not
 * replaced (that would be a different person); one it lacks is added unless another holds it.
 */
export async function updateProfileById(pool: pg.Pool, storeId: StoreId, id: string, patch: Omit<ProfileInput, 'email' | 'phone' | 'externalId'> & Partial<Pick<ProfileInput, 'email' | 'phone' | 'externalId'>>): Promise<UpdateOutcome> {
  return withTransaction(pool, async (tx) => {
    const stored = await identityById(tx, storeId, id);
    if (!stored) return { missing: true };
    for (const key of ['email', 'phone', 'externalId'] as const) {
      if (patch[key] !== undefined && stored[key] !== null && stored[key] !== patch[key]) return { conflict: key };
      if (patch[key] !== undefined && stored[key] === null) {
        const holder = await profileHolding(tx, storeId, { [key]: patch[key] });
        if (holder && holder !== stored.id) return { conflict: key };
      }
    }
    const input = {
      ...patch,
      email: stored.email ?? patch.email,
      phone: stored.phone ?? patch.phone,
      externalId: stored.externalId ?? patch.externalId,
    } as ProfileInput;
    return { updated: await upsertProfile(tx, storeId, input) };
  });
}
