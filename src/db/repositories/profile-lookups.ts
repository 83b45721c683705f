// Profiles found by our id or by any of their identifiers (Klaviyo addresses profiles by id).
import type { ProfileId, StoreId } from '../../model/ids.ts';
import type { Queryable } from '../pool.ts';
import { identifiersOf } from '../../model/profile.ts';
import { findOwners } from './profile-identifiers.ts';

export type StoredIdentity = { id: ProfileId; email: string | null; phone: string | null; externalId: string | null };

export async function identityById(db: Queryable, storeId: StoreId, id: string): Promise<StoredIdentity | undefined> {
  const { rows } = await db.query<{ id: string; email: string | null; phone: string | null; external_id: string | null }>(
    `SELECT id, email, phone, external_id FROM profiles WHERE store_id = $1 AND id = $2::uuid`,
    [storeId, id],
  );
  const r = rows[0];
  return r && { id: r.id as ProfileId, email: r.email, phone: r.phone, externalId: r.external_id };
}

/** The profile already holding any of these identifiers (primary or kept beside), if one does. */
export async function profileHolding(db: Queryable, storeId: StoreId, ids: { email?: string | undefined; phone?: string | undefined; externalId?: string | undefined }): Promise<ProfileId | undefined> {
  const owners = await findOwners(db, storeId, identifiersOf(ids));
  return owners.values().next().value;
}
