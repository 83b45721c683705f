// Expiry bookkeeping for Shopify's expiring offline tokens, and the guarded swap of a refreshed
// token into the store row.
import type { StoreId } from '../../model/ids.ts';
import type { Queryable } from '../pool.ts';

/** Install or reinstall: the new grant's expiry, and the install time that orders stale webhooks. */
export async function saveTokenExpiry(db: Queryable, storeId: StoreId, t: { expiresAt: Date | null; refreshTokenExpiresAt: Date | null }): Promise<void> {
  await db.query(
    `INSERT INTO shopify_tokens (store_id, expires_at, refresh_expires_at) VALUES ($1, $2, $3)
     ON CONFLICT (store_id) DO UPDATE SET expires_at = $2, refresh_expires_at = $3, installed_at = now(), refreshed_at = NULL,
       last_error = NULL, updated_at = now()`,
    [storeId, t.expiresAt, t.refreshTokenExpiresAt],
  );
}

/**
 * Swaps in a refreshed grant only if the store still holds the one that was refreshed: an
 * uninstall (token wiped) or a reinstall in the meantime wins, and a revoked grant is never
 * written back.
 */
export async function swapRefreshedToken(
  db: Queryable,
  storeId: StoreId,
  previousSealed: string,
  next: { sealed: string; expiresAt: Date | null; refreshTokenExpiresAt: Date | null },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `WITH s AS (UPDATE stores SET access_token_enc = $3, updated_at = now()
                WHERE id = $1 AND status = 'active' AND access_token_enc = $2 RETURNING id)
     UPDATE shopify_tokens t SET expires_at = $4, refresh_expires_at = $5, refreshed_at = now(), last_error = NULL, updated_at = now()
     FROM s WHERE t.store_id = s.id`,
    [storeId, previousSealed, next.sealed, next.expiresAt, next.refreshTokenExpiresAt],
  );
  return rowCount === 1;
}

export async function recordRefreshError(db: Queryable, storeId: StoreId, message: string): Promise<void> {
  await db.query('UPDATE shopify_tokens SET last_error = $2, updated_at = now() WHERE store_id = $1', [storeId, message.slice(0, 2000)]);
}

export async function findTokenExpiry(db: Queryable, storeId: StoreId): Promise<{ expiresAt: Date | null; installedAt: Date; lastError: string | null } | undefined> {
  const { rows } = await db.query<{ expires_at: Date | null; installed_at: Date; last_error: string | null }>(
    'SELECT expires_at, installed_at, last_error FROM shopify_tokens WHERE store_id = $1',
    [storeId],
  );
  const r = rows[0];
  return r && { expiresAt: r.expires_at, installedAt: r.installed_at, lastError: r.last_error };
}
