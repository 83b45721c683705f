// A store's webhook signing secrets, sealed (see migration 071). Values in and out are sealed
// strings; opening them is the caller's business.
import type { StoreId } from '../../model/ids.ts';
import type { Queryable } from '../pool.ts';

export type SealedSigningSecrets = {
  current: string | null;
  previous: string | null;
  previousUntil: Date | null;
  rotatedAt: Date | null;
};

export async function readSigningSecrets(db: Queryable, storeId: StoreId): Promise<SealedSigningSecrets | null> {
  const { rows } = await db.query<{ webhook_secret_enc: string | null; webhook_secret_previous_enc: string | null; webhook_secret_previous_until: Date | null; webhook_secret_rotated_at: Date | null }>(
    'SELECT webhook_secret_enc, webhook_secret_previous_enc, webhook_secret_previous_until, webhook_secret_rotated_at FROM stores WHERE id = $1',
    [storeId],
  );
  const r = rows[0];
  if (!r) return null;
  return { current: r.webhook_secret_enc, previous: r.webhook_secret_previous_enc, previousUntil: r.webhook_secret_previous_until, rotatedAt: r.webhook_secret_rotated_at };
}

/** Sets the first secret unless one is there already (two workers racing keep the same one). */
export async function setSigningSecretIfMissing(db: Queryable, storeId: StoreId, sealed: string): Promise<void> {
  await db.query('UPDATE stores SET webhook_secret_enc = $2 WHERE id = $1 AND webhook_secret_enc IS NULL', [storeId, sealed]);
}

/** Makes `sealed` the current secret; the one it replaces keeps signing until `previousUntil`. */
export async function replaceSigningSecret(db: Queryable, storeId: StoreId, sealed: string, previousUntil: Date, now: Date): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE stores SET webhook_secret_previous_enc = webhook_secret_enc, webhook_secret_previous_until = $3,
       webhook_secret_enc = $2, webhook_secret_rotated_at = $4
     WHERE id = $1`,
    [storeId, sealed, previousUntil, now],
  );
  return Boolean(rowCount);
}
