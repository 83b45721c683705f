// Every secret stored sealed under ENCRYPTION_KEY, for re-sealing them all under a new key.
// Platform access tokens (and Shopify grants) in stores.access_token_enc are the only ones today.
import type pg from 'pg';

export type SealedRow = { storeId: string; sealed: string };

/** Locks and returns every sealed value; call inside the transaction that rewrites them. */
export async function lockSealedSecrets(client: pg.PoolClient): Promise<SealedRow[]> {
  const { rows } = await client.query<{ id: string; access_token_enc: string }>(
    'SELECT id, access_token_enc FROM stores WHERE access_token_enc IS NOT NULL ORDER BY id FOR UPDATE',
  );
  return rows.map((r) => ({ storeId: r.id, sealed: r.access_token_enc }));
}

export async function replaceSealedSecret(client: pg.PoolClient, storeId: string, sealed: string): Promise<void> {
  await client.query('UPDATE stores SET access_token_enc = $2 WHERE id = $1', [storeId, sealed]);
}
