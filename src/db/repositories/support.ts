// Reads and writes behind the support console: catalog readiness, how stored events carry the
// fields support names, and the store's trigger settings (the audit log is support-audit.ts).
import type { Queryable } from '../pool.ts';
import type { EventMapping } from '../../model/store.ts';

export type CatalogReadiness = { products: number; withInventory: number; withoutVariants: number; variantsWithInventory: number };

export async function catalogReadiness(db: Queryable, storeId: string): Promise<CatalogReadiness> {
  const { rows } = await db.query<CatalogReadiness>(
    `SELECT count(*)::int AS products,
       count(*) FILTER (WHERE p.inventory_tracking <> 'none' AND p.inventory_quantity IS NOT NULL)::int AS "withInventory",
       count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM variants v WHERE v.store_id = p.store_id AND v.product_id = p.id AND v.deleted_at IS NULL))::int AS "withoutVariants",
       (SELECT count(*)::int FROM variants v WHERE v.store_id = $1 AND v.deleted_at IS NULL AND v.inventory_quantity IS NOT NULL) AS "variantsWithInventory"
     FROM products p WHERE p.store_id = $1 AND p.deleted_at IS NULL`,
    [storeId],
  );
  return rows[0]!;
}

/** The newest stored events of one metric name, newest first, to run a proposed mapping on. */
export async function sampleEventsOf(db: Queryable, q: { storeId: string; metric: string; since: Date; limit: number }): Promise<Array<{ id: string; properties: Record<string, unknown> }>> {
  const { rows } = await db.query<{ id: string; properties: Record<string, unknown> }>(
    'SELECT id::text AS id, properties FROM events WHERE store_id = $1 AND metric = $2 AND time >= $3 ORDER BY id DESC LIMIT $4',
    [q.storeId, q.metric, q.since, q.limit],
  );
  return rows;
}

/** Which of these external ids name a live product of the store. */
export async function knownProductIds(db: Queryable, storeId: string, externalIds: string[]): Promise<Set<string>> {
  if (externalIds.length === 0) return new Set();
  const { rows } = await db.query<{ external_id: string }>(
    'SELECT external_id FROM products WHERE store_id = $1 AND external_id = ANY($2::text[]) AND deleted_at IS NULL',
    [storeId, externalIds],
  );
  return new Set(rows.map((r) => r.external_id));
}

export type TriggerSettings = { lowInventoryCatalog: 'integration' | 'custom'; customLowInventoryEnabled: boolean; eventMapping: unknown };

export async function readTriggerSettings(db: Queryable, storeId: string): Promise<TriggerSettings | undefined> {
  const { rows } = await db.query<{ low_inventory_catalog: 'integration' | 'custom'; custom_low_inventory_enabled: boolean; event_mapping: unknown }>(
    'SELECT low_inventory_catalog, custom_low_inventory_enabled, event_mapping FROM stores WHERE id = $1 FOR UPDATE',
    [storeId],
  );
  const r = rows[0];
  return r && { lowInventoryCatalog: r.low_inventory_catalog, customLowInventoryEnabled: r.custom_low_inventory_enabled, eventMapping: r.event_mapping };
}

/** The store's saved event mapping as stored (unparsed), without locking the row. */
export async function readEventMapping(db: Queryable, storeId: string): Promise<unknown> {
  const { rows } = await db.query<{ event_mapping: unknown }>('SELECT event_mapping FROM stores WHERE id = $1', [storeId]);
  return rows[0]?.event_mapping;
}

export async function writeTriggerSettings(db: Queryable, storeId: string, s: { lowInventoryCatalog: 'integration' | 'custom'; customLowInventoryEnabled: boolean; eventMapping: EventMapping }): Promise<void> {
  await db.query(
    'UPDATE stores SET low_inventory_catalog = $2, custom_low_inventory_enabled = $3, event_mapping = $4::jsonb, updated_at = now() WHERE id = $1',
    [storeId, s.lowInventoryCatalog, s.customLowInventoryEnabled, JSON.stringify(s.eventMapping)],
  );
}

/** Recent events of the given metric names with their properties, to derive their items again. */
export async function recentEventsOf(db: Queryable, storeId: string, metrics: string[], since: Date, afterId: string | null, limit: number): Promise<Array<{ id: string; metric: string; properties: Record<string, unknown> }>> {
  const { rows } = await db.query<{ id: string; metric: string; properties: Record<string, unknown> }>(
    `SELECT id::text AS id, metric, properties FROM events WHERE store_id = $1 AND metric = ANY($2::text[]) AND time >= $3
       AND ($4::bigint IS NULL OR id > $4::bigint) ORDER BY id LIMIT $5`,
    [storeId, metrics, since, afterId, limit],
  );
  return rows;
}

/** Replaces the items of these events (derived data: the properties they came from stay as sent). */
export async function replaceEventItems(
  db: Queryable,
  storeId: string,
  eventIds: string[],
  items: Array<{ eventId: string; position: number; productExternalId: string | null; variantExternalId: string | null; quantity: number; price: number | null }>,
): Promise<void> {
  if (eventIds.length === 0) return;
  await db.query('DELETE FROM event_items WHERE store_id = $1 AND event_id = ANY($2::bigint[])', [storeId, eventIds]);
  if (items.length === 0) return;
  await db.query(
    `INSERT INTO event_items (store_id, event_id, position, product_external_id, variant_external_id, quantity, price)
     SELECT $1, event_id, position, product_external_id, variant_external_id, quantity, price
     FROM jsonb_to_recordset($2::jsonb) AS x(event_id bigint, position smallint, product_external_id text, variant_external_id text, quantity integer, price numeric)`,
    [storeId, JSON.stringify(items.map((i) => ({ event_id: i.eventId, position: i.position, product_external_id: i.productExternalId, variant_external_id: i.variantExternalId, quantity: i.quantity, price: i.price })))],
  );
}

/** Renames stored events from the name the store sends to the canonical metric. */
export async function renameMetric(db: Queryable, storeId: string, from: string, to: string): Promise<number> {
  const { rowCount } = await db.query('UPDATE events SET metric = $3 WHERE store_id = $1 AND metric = $2', [storeId, from, to]);
  return rowCount ?? 0;
}
