// Profiles found by our id or by any of their identifiers (Klaviyo addresses profiles by id).
import type { ProfileId, StoreId } from '../../model/ids.ts';
import type { Queryable } from '../pool.ts';

export type StoredIdentity = { id: ProfileId; email: string | null; phone: string | null; externalId: string | null };

export async function identityById(db: Queryable, storeId: StoreId, id: string): Promise<StoredIdentity | undefined> {
  const { rows } = await db.query<{ id: string; email: string | null; phone: string | null; external_id: string | null }>(
    `SELECT id, email, phone, external_id FROM profiles WHERE store_id = $1 AND id = $2::uuid`,
    [storeId, id],
  );
  const r = rows[0];
  return r && { id: r.id as ProfileId, email: r.email, phone: r.phone, externalId: r.external_id };
}

/** The profile already holding any of these identifiers, if one does. */
export async function profileHolding(db: Queryable, storeId: StoreId, ids: { email?: string | undefined; phone?: string | undefined; externalId?: string | undefined }): Promise<ProfileId | undefined> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM profiles WHERE store_id = $1 AND (
       ($2::text IS NOT NULL AND external_id = $2) OR ($3::text IS NOT NULL AND email = $3) OR ($4::text IS NOT NULL AND phone = $4))
     LIMIT 1`,
    [storeId, ids.externalId ?? null, ids.email ?? null, ids.phone ?? null],
  );
  return rows[0]?.id as ProfileId | undefined;
}
