import type { ProfileId, StoreId, VariantId } from '../../model/ids.ts';
import type { Queryable } from '../pool.ts';

export type BackInStockRequest = {
  profileId: ProfileId;
  variantId: VariantId;
  channels: string[];
  createdAt: Date;
  expiresAt: Date;
  notifiedAt: Date | null;
};

/** Records a request; an open one for the same person and variant is renewed instead. */
export async function upsertBackInStockRequest(
  db: Queryable,
  r: { storeId: StoreId; profileId: ProfileId; variantId: VariantId; channels: string[]; now: Date; expiresAt: Date },
): Promise<void> {
  await db.query(
    `INSERT INTO back_in_stock_requests (store_id, profile_id, variant_id, channels, created_at, expires_at)
     VALUES ($1, $2, $3, $4::text[], $5, $6)
     ON CONFLICT (store_id, variant_id, profile_id) WHERE notified_at IS NULL
     DO UPDATE SET channels = EXCLUDED.channels, expires_at = EXCLUDED.expires_at`,
    [r.storeId, r.profileId, r.variantId, r.channels, r.now, r.expiresAt],
  );
}

export async function listBackInStockRequests(db: Queryable, storeId: StoreId): Promise<BackInStockRequest[]> {
  const { rows } = await db.query<{ profile_id: string; variant_id: string; channels: string[]; created_at: Date; expires_at: Date; notified_at: Date | null }>(
    `SELECT profile_id, variant_id, channels, created_at, expires_at, notified_at FROM back_in_stock_requests
     WHERE store_id = $1 ORDER BY created_at, id`,
    [storeId],
  );
  return rows.map((r) => ({
    profileId: r.profile_id as ProfileId,
    variantId: r.variant_id as VariantId,
    channels: r.channels,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    notifiedAt: r.notified_at,
  }));
}
