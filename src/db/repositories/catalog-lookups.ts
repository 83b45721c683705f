// Catalog reads by the ids a custom catalog names (Klaviyo-format items and variants), and the
// lock that makes a read-then-write of partial catalog updates safe against a concurrent one.
import type { Product } from '../../model/catalog.ts';
import type { StoreId, VariantId } from '../../model/ids.ts';
import type { Queryable } from '../pool.ts';
import { PRODUCT_COLUMNS, withVariants, type ProductRow } from './catalog.ts';

/** Serialises partial catalog writes of one store until the transaction ends. */
export async function lockPartialCatalogWrites(db: Queryable, storeId: StoreId): Promise<void> {
  await db.query(`SELECT pg_advisory_xact_lock(hashtextextended('partial-catalog:' || $1::text, 0))`, [storeId]);
}

/** Live products (with their live variants) by external id. */
export async function liveProductsByExternalIds(db: Queryable, storeId: StoreId, externalIds: string[]): Promise<Map<string, Product>> {
  if (externalIds.length === 0) return new Map();
  const { rows } = await db.query<ProductRow>(
    `SELECT ${PRODUCT_COLUMNS} FROM products WHERE store_id = $1 AND external_id = ANY($2::text[]) AND deleted_at IS NULL`,
    [storeId, [...new Set(externalIds)]],
  );
  return new Map((await withVariants(db, storeId, rows)).map((p) => [p.externalId as string, p]));
}

export type VariantLocation = { variantId: VariantId; variantExternalId: string; productExternalId: string };

/** Where live variants with these external ids sit; one id may sit under several products. */
export async function locateVariants(db: Queryable, storeId: StoreId, variantExternalIds: string[]): Promise<VariantLocation[]> {
  if (variantExternalIds.length === 0) return [];
  const { rows } = await db.query<{ id: string; external_id: string; product_external_id: string }>(
    `SELECT v.id, v.external_id, p.external_id AS product_external_id
       FROM variants v JOIN products p ON p.store_id = v.store_id AND p.id = v.product_id
      WHERE v.store_id = $1 AND v.external_id = ANY($2::text[]) AND v.deleted_at IS NULL AND p.deleted_at IS NULL
      ORDER BY v.external_id, p.external_id`,
    [storeId, [...new Set(variantExternalIds)]],
  );
  return rows.map((r) => ({ variantId: r.id as VariantId, variantExternalId: r.external_id, productExternalId: r.product_external_id }));
}
