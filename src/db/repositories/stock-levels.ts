// Single-location stock reports applied set-based: the level at the location is replaced when
// the report is newer, and the variant's stock becomes the sum of its levels at the locations
// the merchant counts. Only items whose variant is stored with every location it is stocked at
// (levels_complete) take this path; the rest are read back from the platform.
import type { ExternalProductId, ExternalVariantId, ProductId, StoreId, VariantId } from '../../model/ids.ts';
import type { InventoryChange, StockLevelReport } from '../../model/catalog.ts';
import type { Queryable } from '../pool.ts';

/** Conditions under which a stored variant's stock is the sum of its stored levels. */
const SUMMABLE = `v.levels_complete AND v.deleted_at IS NULL AND v.inventory_quantity IS NOT NULL
  AND v.inventory_tracked IS NOT FALSE AND p.deleted_at IS NULL AND p.inventory_tracking = 'variant'`;

/** Of the given stock items, those whose stored variant can take a single-location report as it is. */
export async function summableStockItems(db: Queryable, storeId: StoreId, stockItemIds: string[]): Promise<Set<string>> {
  if (stockItemIds.length === 0) return new Set();
  const { rows } = await db.query<{ stock_item_id: string }>(
    `SELECT v.stock_item_id FROM variants v JOIN products p ON p.store_id = v.store_id AND p.id = v.product_id
     WHERE v.store_id = $1 AND v.stock_item_id = ANY($2::text[]) AND ${SUMMABLE}`,
    [storeId, stockItemIds],
  );
  return new Set(rows.map((r) => r.stock_item_id));
}

/** External ids of the products behind the given stock items, for the caller to lock first. */
export async function productsOfStockItems(db: Queryable, storeId: StoreId, stockItemIds: string[]): Promise<string[]> {
  if (stockItemIds.length === 0) return [];
  const { rows } = await db.query<{ external_id: string }>(
    `SELECT DISTINCT p.external_id FROM variants v JOIN products p ON p.store_id = v.store_id AND p.id = v.product_id
     WHERE v.store_id = $1 AND v.stock_item_id = ANY($2::text[])`,
    [storeId, stockItemIds],
  );
  return rows.map((r) => r.external_id);
}

type Recounted = { id: string; product_id: string; external_id: string; product_external_id: string; old: number | null; new: number };

/**
 * Applies the reports; the caller holds the lock on each product concerned (lockProducts), so two
 * workers summing one variant's levels never miss each other's write. Returns the stock changes,
 * variant and product level, for the caller to record, and how many reports were applied
 * (a report older than the stored level, or for an item no longer summable, is not).
 */
export async function applyStockLevels(
  db: Queryable,
  storeId: StoreId,
  reports: StockLevelReport[],
  now: Date,
): Promise<{ applied: number; changes: InventoryChange[] }> {
  if (reports.length === 0) return { applied: 0, changes: [] };
  const json = JSON.stringify(reports.map((r) => ({ item: r.stockItemId, location_id: r.locationId, available: r.available, at: r.at.toISOString() })));
  // A location first seen counts, as with every other write of levels (upsertLevels).
  await db.query(
    `INSERT INTO locations (store_id, location_id)
     SELECT DISTINCT $1::uuid, location_id FROM jsonb_to_recordset($2::jsonb) AS x(location_id text)
     ON CONFLICT (store_id, location_id) DO NOTHING`,
    [storeId, json],
  );
  const { rows: levels } = await db.query<{ variant_id: string; at: Date }>(
    `WITH x AS (
       SELECT DISTINCT ON (item, location_id) item, location_id, available, at
       FROM jsonb_to_recordset($2::jsonb) AS x(item text, location_id text, available integer, at timestamptz)
       ORDER BY item, location_id, at DESC)
     INSERT INTO variant_locations (store_id, variant_id, location_id, available, updated_at)
     SELECT $1, v.id, x.location_id, x.available, x.at
     FROM x JOIN variants v ON v.store_id = $1 AND v.stock_item_id = x.item
     JOIN products p ON p.store_id = v.store_id AND p.id = v.product_id
     WHERE ${SUMMABLE}
     ORDER BY v.id, x.location_id
     ON CONFLICT (store_id, variant_id, location_id) DO UPDATE SET available = excluded.available, updated_at = excluded.updated_at
     WHERE variant_locations.updated_at <= excluded.updated_at
     RETURNING variant_id, updated_at AS at`,
    [storeId, json],
  );
  if (levels.length === 0) return { applied: 0, changes: [] };
  const latest = new Map<string, Date>();
  for (const l of levels) if (!latest.has(l.variant_id) || latest.get(l.variant_id)! < l.at) latest.set(l.variant_id, l.at);

  const { rows: variants } = await db.query<Recounted>(
    `WITH t AS (
       SELECT v.id, COALESCE(sum(vl.available) FILTER (WHERE l.counts), 0)::int AS new, v.inventory_quantity AS old
       FROM variants v
       LEFT JOIN variant_locations vl ON vl.store_id = v.store_id AND vl.variant_id = v.id
       LEFT JOIN locations l ON l.store_id = vl.store_id AND l.location_id = vl.location_id
       WHERE v.store_id = $1 AND v.id = ANY($2::uuid[]) GROUP BY v.store_id, v.id)
     UPDATE variants v SET inventory_quantity = t.new, updated_at = now()
     FROM t, products p
     WHERE v.store_id = $1 AND v.id = t.id AND t.new IS DISTINCT FROM t.old AND p.store_id = v.store_id AND p.id = v.product_id
     RETURNING v.id, v.product_id, v.external_id, p.external_id AS product_external_id, t.old, t.new`,
    [storeId, [...latest.keys()]],
  );
  const changes: InventoryChange[] = variants.map((v) => ({
    storeId,
    level: 'variant',
    productId: v.product_id as ProductId,
    variantId: v.id as VariantId,
    productExternalId: v.product_external_id as ExternalProductId,
    variantExternalId: v.external_id as ExternalVariantId,
    oldQuantity: v.old,
    newQuantity: v.new,
    sourceUpdatedAt: latest.get(v.id)!,
    observedAt: now,
  }));
  if (variants.length === 0) return { applied: levels.length, changes };

  const productAt = new Map<string, Date>();
  for (const v of variants) {
    const at = latest.get(v.id)!;
    if (!productAt.has(v.product_id) || productAt.get(v.product_id)! < at) productAt.set(v.product_id, at);
  }
  // A variant-tracked product holds the sum of its live variants' stock (productQuantity).
  const { rows: products } = await db.query<Recounted>(
    `WITH t AS (
       SELECT p.id, p.inventory_quantity AS old,
         (SELECT sum(v.inventory_quantity) FROM variants v
          WHERE v.store_id = p.store_id AND v.product_id = p.id AND v.deleted_at IS NULL AND v.inventory_quantity IS NOT NULL)::int AS new
       FROM products p WHERE p.store_id = $1 AND p.id = ANY($2::uuid[]))
     UPDATE products p SET inventory_quantity = t.new, updated_at = now()
     FROM t WHERE p.store_id = $1 AND p.id = t.id AND t.new IS NOT NULL AND t.new IS DISTINCT FROM t.old
     RETURNING p.id, p.id AS product_id, p.external_id, p.external_id AS product_external_id, t.old, t.new`,
    [storeId, [...productAt.keys()]],
  );
  for (const p of products) {
    changes.push({
      storeId,
      level: 'product',
      productId: p.id as ProductId,
      variantId: null,
      productExternalId: p.external_id as ExternalProductId,
      variantExternalId: null,
      oldQuantity: p.old,
      newQuantity: p.new,
      sourceUpdatedAt: productAt.get(p.id)!,
      observedAt: now,
    });
  }
  return { applied: levels.length, changes };
}
