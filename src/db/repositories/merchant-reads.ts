// Read-only queries behind the merchant app and support console pages: what the onboarding
// checklist, catalog search, flow list and report charts show. Every query is scoped by store.
import type { Platform } from '../../model/store.ts';
import type { ProductId, StoreId } from '../../model/ids.ts';
import type { Queryable } from '../pool.ts';

/** When each of these metrics was last received (null: never). */
export async function lastEventTimes(db: Queryable, storeId: StoreId, metrics: string[]): Promise<Record<string, Date | null>> {
  const { rows } = await db.query<{ metric: string; at: Date | null }>(
    `SELECT m.metric, (SELECT max(e.time) FROM events e WHERE e.store_id = $1 AND e.metric = m.metric) AS at
     FROM unnest($2::text[]) AS m(metric)`,
    [storeId, metrics],
  );
  return Object.fromEntries(rows.map((r) => [r.metric, r.at]));
}

export type CatalogRow = {
  id: ProductId;
  externalId: string;
  title: string;
  price: number | null;
  inventoryTracking: 'product' | 'variant' | 'none';
  inventoryQuantity: number | null;
  variants: Array<{ externalId: string; title: string | null; sku: string | null; inventoryQuantity: number | null }>;
};

/** Live products whose title or id contains the search text, by title; with a total for paging. */
export async function searchProducts(db: Queryable, storeId: StoreId, q: { text: string; offset: number; limit: number }): Promise<{ rows: CatalogRow[]; total: number }> {
  const like = `%${q.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const { rows } = await db.query<CatalogRow & { total: number }>(
    `SELECT p.id, p.external_id AS "externalId", p.title, p.price::float8 AS price, p.inventory_tracking AS "inventoryTracking",
       p.inventory_quantity AS "inventoryQuantity", count(*) OVER ()::int AS total,
       COALESCE((SELECT json_agg(json_build_object('externalId', v.external_id, 'title', v.title, 'sku', v.sku, 'inventoryQuantity', v.inventory_quantity) ORDER BY v.external_id)
         FROM variants v WHERE v.store_id = p.store_id AND v.product_id = p.id AND v.deleted_at IS NULL), '[]') AS variants
     FROM products p
     WHERE p.store_id = $1 AND p.deleted_at IS NULL AND ($2 = '%%' OR p.title ILIKE $2 OR p.external_id ILIKE $2)
     ORDER BY p.title, p.id OFFSET $3 LIMIT $4`,
    [storeId, like, q.offset, q.limit],
  );
  return { rows: rows.map(({ total: _t, ...r }) => r), total: rows[0]?.total ?? 0 };
}

/** A product's external id, only when it belongs to this store. */
export async function productExternalId(db: Queryable, storeId: StoreId, productId: ProductId): Promise<string | undefined> {
  const { rows } = await db.query<{ external_id: string }>('SELECT external_id FROM products WHERE store_id = $1 AND id = $2 AND deleted_at IS NULL', [storeId, productId]);
  return rows[0]?.external_id;
}

export type FlowWeek = { flowId: string; entered: number; sent: number; opened: number; clicked: number };

/** Per flow since a time: runs entered and messages sent, opened, clicked. */
export async function flowNumbersSince(db: Queryable, storeId: StoreId, since: Date): Promise<FlowWeek[]> {
  const { rows } = await db.query<FlowWeek>(
    `SELECT f.id AS "flowId",
       (SELECT count(*)::int FROM flow_runs r WHERE r.store_id = f.store_id AND r.flow_id = f.id AND r.entered_at >= $2) AS entered,
       (SELECT count(*)::int FROM messages m WHERE m.store_id = f.store_id AND m.flow_id = f.id AND m.status = 'sent' AND m.sent_at >= $2) AS sent,
       (SELECT count(*)::int FROM messages m WHERE m.store_id = f.store_id AND m.flow_id = f.id AND m.opened_at >= $2) AS opened,
       (SELECT count(*)::int FROM messages m WHERE m.store_id = f.store_id AND m.flow_id = f.id AND m.clicked_at >= $2) AS clicked
     FROM flows f WHERE f.store_id = $1`,
    [storeId, since],
  );
  return rows;
}

export type DailyPoint = { day: string; entered: number; sent: number; opened: number; clicked: number; converted: number; revenue: number };

/**
 * A flow's numbers per UTC day from `since`: conversions count a Placed Order on the day it was
 * placed, within the attribution window after one of the flow's messages (as the report does).
 */
export async function flowDailySeries(db: Queryable, storeId: StoreId, flowId: string, since: Date, attributionDays: number): Promise<DailyPoint[]> {
  const { rows } = await db.query<DailyPoint>(
    `WITH days AS (SELECT generate_series(date_trunc('day', $3::timestamptz AT TIME ZONE 'UTC'), date_trunc('day', now() AT TIME ZONE 'UTC'), interval '1 day') AS day),
     runs AS (SELECT date_trunc('day', entered_at AT TIME ZONE 'UTC') AS day, count(*)::int AS n FROM flow_runs WHERE store_id = $1 AND flow_id = $2 AND entered_at >= $3 GROUP BY 1),
     sent AS (SELECT date_trunc('day', sent_at AT TIME ZONE 'UTC') AS day, count(*)::int AS n FROM messages WHERE store_id = $1 AND flow_id = $2 AND status = 'sent' AND sent_at >= $3 GROUP BY 1),
     opened AS (SELECT date_trunc('day', opened_at AT TIME ZONE 'UTC') AS day, count(*)::int AS n FROM messages WHERE store_id = $1 AND flow_id = $2 AND opened_at >= $3 GROUP BY 1),
     clicked AS (SELECT date_trunc('day', clicked_at AT TIME ZONE 'UTC') AS day, count(*)::int AS n FROM messages WHERE store_id = $1 AND flow_id = $2 AND clicked_at >= $3 GROUP BY 1),
     conv AS (
       SELECT date_trunc('day', e.time AT TIME ZONE 'UTC') AS day, count(*)::int AS n, sum(e.value)::float8 AS revenue FROM events e
       WHERE e.store_id = $1 AND e.metric = 'Placed Order' AND e.time >= $3 AND EXISTS (
         SELECT 1 FROM messages m WHERE m.store_id = e.store_id AND m.flow_id = $2 AND m.profile_id = e.profile_id AND m.status = 'sent'
           AND e.time > m.sent_at AND e.time <= m.sent_at + make_interval(days => $4))
       GROUP BY 1)
     SELECT to_char(d.day, 'YYYY-MM-DD') AS day, COALESCE(runs.n, 0) AS entered, COALESCE(sent.n, 0) AS sent, COALESCE(opened.n, 0) AS opened,
       COALESCE(clicked.n, 0) AS clicked, COALESCE(conv.n, 0) AS converted, COALESCE(conv.revenue, 0) AS revenue
     FROM days d LEFT JOIN runs USING (day) LEFT JOIN sent USING (day) LEFT JOIN opened USING (day) LEFT JOIN clicked USING (day) LEFT JOIN conv USING (day)
     ORDER BY d.day`,
    [storeId, flowId, since, attributionDays],
  );
  return rows;
}

export type StoreHit = { id: StoreId; platform: Platform; domain: string; status: string; createdAt: Date };

/** Stores whose id equals, or whose domain or platform id contains, the search text. */
export async function findStores(db: Queryable, text: string, limit = 50): Promise<StoreHit[]> {
  const like = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const { rows } = await db.query<StoreHit>(
    `SELECT id, platform, domain, status, created_at AS "createdAt" FROM stores
     WHERE id::text = $1 OR domain ILIKE $2 OR external_id ILIKE $2 ORDER BY domain LIMIT $3`,
    [text, like, limit],
  );
  return rows;
}

/** Metric names and event property names the store has sent lately, for the condition builder's pickers. */
export async function recentEventVocabulary(db: Queryable, storeId: StoreId, metric: string | null): Promise<{ metrics: string[]; properties: string[] }> {
  const [metrics, props] = await Promise.all([
    db.query<{ metric: string }>(
      `SELECT DISTINCT metric FROM (SELECT metric FROM events WHERE store_id = $1 ORDER BY time DESC LIMIT 2000) e ORDER BY metric LIMIT 100`,
      [storeId],
    ),
    db.query<{ key: string }>(
      `SELECT DISTINCT k AS key FROM (SELECT properties FROM events WHERE store_id = $1 AND ($2::text IS NULL OR metric = $2) ORDER BY time DESC LIMIT 200) e,
         LATERAL jsonb_object_keys(CASE WHEN jsonb_typeof(e.properties) = 'object' THEN e.properties ELSE '{}'::jsonb END) AS k
       ORDER BY k LIMIT 100`,
      [storeId, metric],
    ),
  ]);
  return { metrics: metrics.rows.map((r) => r.metric), properties: props.rows.map((r) => r.key) };
}
