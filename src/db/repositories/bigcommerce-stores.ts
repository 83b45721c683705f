import type { StoreId } from '../../model/ids.ts';
import type { Queryable } from '../pool.ts';

export type BigCommerceInstall = { storeId: StoreId; storeHash: string; accessTokenSealed: string };

/** Installed BigCommerce stores with a token, for the scheduled hook check; in id order, a page at a time. */
export async function listBigCommerceInstalls(db: Queryable, after: StoreId | null, limit: number): Promise<BigCommerceInstall[]> {
  const { rows } = await db.query<{ id: string; external_id: string; access_token_enc: string }>(
    `SELECT id, external_id, access_token_enc FROM stores
     WHERE platform = 'bigcommerce' AND status = 'active' AND external_id IS NOT NULL AND access_token_enc IS NOT NULL
       AND ($1::uuid IS NULL OR id > $1::uuid)
     ORDER BY id LIMIT $2`,
    [after, limit],
  );
  return rows.map((r) => ({ storeId: r.id as StoreId, storeHash: r.external_id, accessTokenSealed: r.access_token_enc }));
}
