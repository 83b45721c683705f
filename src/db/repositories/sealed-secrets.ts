// Every secret stored sealed under ENCRYPTION_KEY, for re-sealing them all under a new key:
// platform access tokens (and Shopify grants) and the stores' webhook signing secrets.
import type pg from 'pg';

const SEALED_COLUMNS = ['access_token_enc', 'webhook_secret_enc', 'webhook_secret_previous_enc'] as const;
export type SealedColumn = (typeof SEALED_COLUMNS)[number];
export type SealedRow = { storeId: string; column: SealedColumn; sealed: string };

/** Locks and returns every sealed value; call inside the transaction that rewrites them. */
export async function lockSealedSecrets(client: pg.PoolClient): Promise<SealedRow[]> {
  const { rows } = await client.query<{ id: string } & Record<SealedColumn, string | null>>(
    `SELECT id, ${SEALED_COLUMNS.join(', ')} FROM stores
     WHERE ${SEALED_COLUMNS.map((c) => `${c} IS NOT NULL`).join(' OR ')} ORDER BY id FOR UPDATE`,
  );
  return rows.flatMap((r) => SEALED_COLUMNS.flatMap((column) => (r[column] ? [{ storeId: r.id, column, sealed: r[column] }] : [])));
}

export async function replaceSealedSecret(client: pg.PoolClient, row: Pick<SealedRow, 'storeId' | 'column'>, sealed: string): Promise<void> {
  // The column name comes from SEALED_COLUMNS above, never from input.
  if (!SEALED_COLUMNS.includes(row.column)) throw new Error(`not a sealed column: ${row.column}`);
  await client.query(`UPDATE stores SET ${row.column} = $2 WHERE id = $1`, [row.storeId, sealed]);
}
