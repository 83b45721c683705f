// Locations and stock per location. A variant's stored quantity is its stock at the locations
// the merchant counts; these statements keep the per-location rows and recount set-based when
// the merchant changes which locations count.
import type { ProductId, StoreId, VariantId } from '../../model/ids.ts';
import type { InventoryChange } from '../../model/catalog.ts';
import type { Queryable } from '../pool.ts';

export type Location = { locationId: string; name: string | null; counts: boolean; variants: number; available: number };

export type LevelWrite = { variantId: VariantId; locationId: string; locationName: string | null; available: number | null; at: Date };

/**
 * The store's locations that do not count, share-locked to the end of the caller's transaction:
 * a change of which locations count waits for this write, and this write for it.
 */
export async function lockUncountedLocations(db: Queryable, storeId: StoreId): Promise<Set<string>> {
  const { rows } = await db.query<{ location_id: string; counts: boolean }>(
    'SELECT location_id, counts FROM locations WHERE store_id = $1 ORDER BY location_id FOR SHARE',
    [storeId],
  );
  return new Set(rows.filter((r) => !r.counts).map((r) => r.location_id));
}

/** Stored stock at the given locations of the named products' variants, keyed by product and variant external id. */
export async function storedLevels(
  db: Queryable,
  storeId: StoreId,
  productExternalIds: string[],
  locationIds: string[],
): Promise<Map<string, Map<string, number | null>>> {
  const out = new Map<string, Map<string, number | null>>();
  if (productExternalIds.length === 0 || locationIds.length === 0) return out;
  const { rows } = await db.query<{ product: string; variant: string; location_id: string; available: number | null }>(
    `SELECT p.external_id AS product, v.external_id AS variant, vl.location_id, vl.available
     FROM variant_locations vl
     JOIN variants v ON v.store_id = vl.store_id AND v.id = vl.variant_id
     JOIN products p ON p.store_id = v.store_id AND p.id = v.product_id
     WHERE vl.store_id = $1 AND p.external_id = ANY($2::text[]) AND vl.location_id = ANY($3::text[])`,
    [storeId, productExternalIds, locationIds],
  );
  for (const r of rows) {
    const key = `${r.product}\u0000${r.variant}`;
    const levels = out.get(key) ?? new Map<string, number | null>();
    levels.set(r.location_id, r.available);
    out.set(key, levels);
  }
  return out;
}

/** Records stock per location; a location first seen counts. An older report never overwrites a newer one. */
export async function upsertLevels(db: Queryable, storeId: StoreId, levels: LevelWrite[]): Promise<void> {
  if (levels.length === 0) return;
  const json = JSON.stringify(
    levels.map((l) => ({ variant_id: l.variantId, location_id: l.locationId, name: l.locationName, available: l.available, at: l.at.toISOString() })),
  );
  // New locations are added and a changed name is written, but a location already stored as
  // reported is left untouched: an upsert locks its row even when nothing changes, and every
  // catalog write holds the store's locations FOR SHARE (lockUncountedLocations), so two workers'
  // batches queued behind each other (or deadlocked) on a row neither changed.
  await db.query(
    `WITH x AS (
       SELECT DISTINCT ON (location_id) location_id, name
       FROM jsonb_to_recordset($2::jsonb) AS x(location_id text, name text)
       ORDER BY location_id, name NULLS LAST),
     renamed AS (
       UPDATE locations l SET name = x.name, updated_at = now()
       FROM x WHERE l.store_id = $1 AND l.location_id = x.location_id AND x.name IS NOT NULL AND l.name IS DISTINCT FROM x.name
       RETURNING l.location_id)
     INSERT INTO locations (store_id, location_id, name)
     SELECT $1, location_id, name FROM x
     ON CONFLICT (store_id, location_id) DO NOTHING`,
    [storeId, json],
  );
  await db.query(
    `INSERT INTO variant_locations (store_id, variant_id, location_id, available, updated_at)
     SELECT DISTINCT ON (variant_id, location_id) $1, variant_id, location_id, available, at
     FROM jsonb_to_recordset($2::jsonb) AS x(variant_id uuid, location_id text, available integer, at timestamptz)
     ORDER BY variant_id, location_id, at DESC
     ON CONFLICT (store_id, variant_id, location_id) DO UPDATE SET available = excluded.available, updated_at = excluded.updated_at
     WHERE variant_locations.updated_at <= excluded.updated_at`,
    [storeId, json],
  );
}

export async function listLocations(db: Queryable, storeId: StoreId): Promise<Location[]> {
  const { rows } = await db.query<{ location_id: string; name: string | null; counts: boolean; variants: number; available: number }>(
    `SELECT l.location_id, l.name, l.counts, count(vl.variant_id)::int AS variants, COALESCE(sum(vl.available), 0)::int AS available
     FROM locations l LEFT JOIN variant_locations vl ON vl.store_id = l.store_id AND vl.location_id = l.location_id
     WHERE l.store_id = $1 GROUP BY l.location_id, l.name, l.counts ORDER BY l.name NULLS LAST, l.location_id`,
    [storeId],
  );
  return rows.map((r) => ({ locationId: r.location_id, name: r.name, counts: r.counts, variants: r.variants, available: r.available }));
}

/**
 * Sets which locations count, locking them (exclusive: a catalog write in flight finishes
 * first); returns the locations whose flag actually changed, and unknown ids.
 */
export async function setLocationsCounted(
  db: Queryable,
  storeId: StoreId,
  changes: Array<{ locationId: string; counts: boolean }>,
): Promise<{ changed: string[]; unknown: string[] }> {
  if (changes.length === 0) return { changed: [], unknown: [] };
  const ids = changes.map((c) => c.locationId);
  const { rows: known } = await db.query<{ location_id: string; counts: boolean }>(
    'SELECT location_id, counts FROM locations WHERE store_id = $1 AND location_id = ANY($2::text[]) ORDER BY location_id FOR UPDATE',
    [storeId, ids],
  );
  const current = new Map(known.map((r) => [r.location_id, r.counts]));
  const unknown = ids.filter((id) => !current.has(id));
  if (unknown.length > 0) return { changed: [], unknown };
  const changed = changes.filter((c) => current.get(c.locationId) !== c.counts);
  if (changed.length > 0) {
    await db.query(
      `UPDATE locations l SET counts = x.counts, updated_at = now()
       FROM jsonb_to_recordset($2::jsonb) AS x(location_id text, counts boolean)
       WHERE l.store_id = $1 AND l.location_id = x.location_id`,
      [storeId, JSON.stringify(changed.map((c) => ({ location_id: c.locationId, counts: c.counts })))],
    );
  }
  return { changed: changed.map((c) => c.locationId), unknown: [] };
}

/**
 * After the flags of `locationIds` changed: every tracked variant with stock there moves by
 * that stock (in when the location now counts, out when it no longer does), each
 * variant-tracked product by the sum of its variants' moves, and each product-tracked one by
 * what its variants hold there. Three statements for the whole store,
 * whatever its size; returns the changes for the caller to record as observations.
 */
export async function recountForLocations(db: Queryable, storeId: StoreId, locationIds: string[], at: Date): Promise<InventoryChange[]> {
  if (locationIds.length === 0) return [];
  // Products first, in the order ingest locks them, so a recount and a catalog write never deadlock.
  await db.query(
    `SELECT p.id FROM products p
     WHERE p.store_id = $1 AND p.id IN (
       SELECT v.product_id FROM variant_locations vl JOIN variants v ON v.store_id = vl.store_id AND v.id = vl.variant_id
       WHERE vl.store_id = $1 AND vl.location_id = ANY($2::text[]))
     ORDER BY p.external_id FOR UPDATE`,
    [storeId, locationIds],
  );
  const { rows: variants } = await db.query<{ id: string; product_id: string; product_external_id: string; external_id: string; old_quantity: number; new_quantity: number }>(
    `WITH moved AS (
       SELECT vl.variant_id, sum(CASE WHEN l.counts THEN vl.available ELSE -vl.available END)::int AS delta
       FROM variant_locations vl JOIN locations l ON l.store_id = vl.store_id AND l.location_id = vl.location_id
       WHERE vl.store_id = $1 AND vl.location_id = ANY($2::text[]) AND vl.available IS NOT NULL
       GROUP BY vl.variant_id
     )
     UPDATE variants v SET inventory_quantity = v.inventory_quantity + m.delta, updated_at = now()
     FROM moved m, products p
     WHERE v.store_id = $1 AND v.id = m.variant_id AND m.delta <> 0 AND v.deleted_at IS NULL AND v.inventory_quantity IS NOT NULL
       AND p.store_id = v.store_id AND p.id = v.product_id
     RETURNING v.id, v.product_id, p.external_id AS product_external_id, v.external_id, v.inventory_quantity - m.delta AS old_quantity, v.inventory_quantity AS new_quantity`,
    [storeId, locationIds],
  );
  // Stock tracked on the product (BigCommerce, Wix) moves by what all its variants hold at the
  // changed locations, whether or not those variants carry quantities of their own.
  const { rows: ownProducts } = await db.query<{ id: string; external_id: string; old_quantity: number; new_quantity: number }>(
    `WITH moved AS (
       SELECT v.product_id, sum(CASE WHEN l.counts THEN vl.available ELSE -vl.available END)::int AS delta
       FROM variant_locations vl
       JOIN locations l ON l.store_id = vl.store_id AND l.location_id = vl.location_id
       JOIN variants v ON v.store_id = vl.store_id AND v.id = vl.variant_id AND v.deleted_at IS NULL
       WHERE vl.store_id = $1 AND vl.location_id = ANY($2::text[]) AND vl.available IS NOT NULL
       GROUP BY v.product_id
     )
     UPDATE products p SET inventory_quantity = p.inventory_quantity + m.delta, updated_at = now()
     FROM moved m
     WHERE p.store_id = $1 AND p.id = m.product_id AND m.delta <> 0 AND p.inventory_tracking = 'product'
       AND p.deleted_at IS NULL AND p.inventory_quantity IS NOT NULL
     RETURNING p.id, p.external_id, p.inventory_quantity - m.delta AS old_quantity, p.inventory_quantity AS new_quantity`,
    [storeId, locationIds],
  );
  const { rows: variantProducts } = await db.query<{ id: string; external_id: string; old_quantity: number; new_quantity: number }>(
    `WITH moved AS (
       SELECT product_id, sum(delta)::int AS delta FROM jsonb_to_recordset($2::jsonb) AS x(product_id uuid, delta integer) GROUP BY product_id
     )
     UPDATE products p SET inventory_quantity = p.inventory_quantity + m.delta, updated_at = now()
     FROM moved m
     WHERE p.store_id = $1 AND p.id = m.product_id AND m.delta <> 0 AND p.inventory_tracking = 'variant'
       AND p.deleted_at IS NULL AND p.inventory_quantity IS NOT NULL
     RETURNING p.id, p.external_id, p.inventory_quantity - m.delta AS old_quantity, p.inventory_quantity AS new_quantity`,
    [storeId, JSON.stringify(variants.map((v) => ({ product_id: v.product_id, delta: v.new_quantity - v.old_quantity })))],
  );
  const products = [...ownProducts, ...variantProducts];
  const base = { storeId, sourceUpdatedAt: at, observedAt: at };
  return [
    ...products.map((p) => ({
      ...base,
      level: 'product' as const,
      productId: p.id as ProductId,
      variantId: null,
      productExternalId: p.external_id as InventoryChange['productExternalId'],
      variantExternalId: null,
      oldQuantity: p.old_quantity,
      newQuantity: p.new_quantity,
    })),
    ...variants.map((v) => ({
      ...base,
      level: 'variant' as const,
      productId: v.product_id as ProductId,
      variantId: v.id as VariantId,
      productExternalId: v.product_external_id as InventoryChange['productExternalId'],
      variantExternalId: v.external_id as InventoryChange['variantExternalId'],
      oldQuantity: v.old_quantity,
      newQuantity: v.new_quantity,
    })),
  ];
}
