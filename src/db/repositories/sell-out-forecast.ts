// Sales velocity and sell-out forecasts, set-based. Velocity is the Ordered Product quantity of
// an item over the last `velocityDays`; the forecast is the hours its counted stock lasts at
// that pace. Episodes (sell_out_episodes) make a forecast flow fire once per run-down.
import type { Queryable } from '../pool.ts';

export type Forecast = { quantity: number | null; unitsPerDay: number; hours: number | null };

export type EpisodeQuery = {
  storeId: string;
  flowId: string;
  level: 'product' | 'variant';
  withinHours: number;
  velocityDays: number;
  now: Date;
  /** Only these products (a stock change); null: every item with sales in the window (the schedule). */
  productIds: string[] | null;
};

export type OpenedEpisode = {
  id: string;
  productId: string;
  variantId: string | null;
  productExternalId: string;
  variantExternalId: string | null;
  forecastHours: number;
};

/** Hours of stock at the pace of `sold` units over `days`: null when nothing sold (no forecast). */
export function forecastHours(quantity: number | null, sold: number, days: number): number | null {
  if (quantity === null || sold <= 0) return null;
  return Math.max(0, (quantity * days * 24) / sold);
}

/**
 * Ends the flow's open episodes whose item sold out (or is gone), or whose stock rose above the
 * episode's low with the forecast past the horizon (or no sales left); lowers the others' low.
 */
export async function closeEpisodes(db: Queryable, q: EpisodeQuery): Promise<number> {
  const { rowCount } = await db.query(
    `WITH open AS (
       SELECT e.id, e.low_quantity, s.qty, COALESCE(s.sold, 0) AS sold
       FROM sell_out_episodes e
       JOIN products p ON p.store_id = e.store_id AND p.id = e.product_id
       LEFT JOIN variants v ON v.store_id = e.store_id AND v.id = e.variant_id
       CROSS JOIN LATERAL (
         SELECT CASE WHEN p.deleted_at IS NOT NULL OR v.deleted_at IS NOT NULL THEN NULL
                     WHEN e.variant_id IS NULL THEN p.inventory_quantity ELSE v.inventory_quantity END AS qty,
           (SELECT sum(i.quantity) FROM event_items i JOIN events ev ON ev.store_id = i.store_id AND ev.id = i.event_id
            WHERE i.store_id = e.store_id AND i.product_external_id = p.external_id
              AND (e.variant_id IS NULL OR i.variant_external_id = v.external_id)
              AND ev.metric = 'Ordered Product' AND ev.time > $3::timestamptz - make_interval(days => $4) AND ev.time <= $3) AS sold
       ) s
       WHERE e.store_id = $1 AND e.flow_id = $2 AND e.ended_at IS NULL
         AND ($6::uuid[] IS NULL OR e.product_id = ANY($6::uuid[]))
     ), judged AS (
       SELECT id, low_quantity, qty,
         CASE WHEN qty IS NULL OR qty <= 0 THEN 'sold out'
              WHEN qty > low_quantity AND (sold <= 0 OR qty * $4 * 24.0 / sold > $5) THEN 'restocked' END AS reason
       FROM open
     )
     UPDATE sell_out_episodes e SET
       ended_at = CASE WHEN j.reason IS NOT NULL THEN $3::timestamptz END,
       end_reason = j.reason,
       low_quantity = LEAST(e.low_quantity, COALESCE(j.qty, e.low_quantity))
     FROM judged j WHERE e.store_id = $1 AND e.id = j.id AND (j.reason IS NOT NULL OR j.qty < e.low_quantity)`,
    [q.storeId, q.flowId, q.now, q.velocityDays, q.withinHours, q.productIds],
  );
  return rowCount ?? 0;
}

/**
 * Opens an episode for every item in stock whose forecast is within the horizon and that has
 * none open: one statement; the open-episode unique index makes a concurrent evaluation a no-op.
 */
export async function openEpisodes(db: Queryable, q: EpisodeQuery): Promise<OpenedEpisode[]> {
  const { rows } = await db.query<{ id: string; product_id: string; variant_id: string | null; forecast_hours: number }>(
    `WITH sales AS (
       SELECT i.product_external_id AS pext, CASE WHEN $6 = 'variant' THEN i.variant_external_id END AS vext, sum(i.quantity) AS sold
       FROM event_items i JOIN events ev ON ev.store_id = i.store_id AND ev.id = i.event_id
       WHERE i.store_id = $1 AND ev.metric = 'Ordered Product' AND ev.time > $3::timestamptz - make_interval(days => $4) AND ev.time <= $3
         AND i.product_external_id IS NOT NULL
         AND ($7::uuid[] IS NULL OR i.product_external_id IN (SELECT external_id FROM products WHERE store_id = $1 AND id = ANY($7::uuid[])))
       GROUP BY 1, 2 HAVING sum(i.quantity) > 0
     ), items AS (
       SELECT p.id AS product_id, NULL::uuid AS variant_id, p.inventory_quantity AS qty, s.sold
       FROM sales s JOIN products p ON p.store_id = $1 AND p.external_id = s.pext
       WHERE $6 = 'product' AND p.deleted_at IS NULL
       UNION ALL
       SELECT p.id, v.id, v.inventory_quantity, s.sold
       FROM sales s JOIN products p ON p.store_id = $1 AND p.external_id = s.pext
       JOIN variants v ON v.store_id = $1 AND v.product_id = p.id AND v.external_id = s.vext
       WHERE $6 = 'variant' AND p.deleted_at IS NULL AND v.deleted_at IS NULL
     )
     INSERT INTO sell_out_episodes (store_id, flow_id, level, product_id, variant_id, started_at, low_quantity, forecast_hours)
     SELECT $1, $2, $6, product_id, variant_id, $3, qty, qty * $4 * 24.0 / sold FROM items
     WHERE qty > 0 AND qty * $4 * 24.0 / sold <= $5
     ON CONFLICT DO NOTHING
     RETURNING id::text AS id, product_id, variant_id, forecast_hours`,
    [q.storeId, q.flowId, q.now, q.velocityDays, q.withinHours, q.level, q.productIds],
  );
  if (rows.length === 0) return [];
  const { rows: names } = await db.query<{ id: string; product_external_id: string; variant_external_id: string | null }>(
    `SELECT e.id::text AS id, p.external_id AS product_external_id, v.external_id AS variant_external_id
     FROM sell_out_episodes e JOIN products p ON p.store_id = e.store_id AND p.id = e.product_id
     LEFT JOIN variants v ON v.store_id = e.store_id AND v.id = e.variant_id
     WHERE e.store_id = $1 AND e.id = ANY($2::bigint[])`,
    [q.storeId, rows.map((r) => r.id)],
  );
  const byId = new Map(names.map((n) => [n.id, n]));
  return rows.map((r) => ({
    id: r.id,
    productId: r.product_id,
    variantId: r.variant_id,
    productExternalId: byId.get(r.id)!.product_external_id,
    variantExternalId: byId.get(r.id)!.variant_external_id,
    forecastHours: r.forecast_hours,
  }));
}

/** Products touched by these observations (a stock change re-evaluates only them). */
export async function observedProducts(db: Queryable, storeId: string, observationIds: string[]): Promise<string[]> {
  if (observationIds.length === 0) return [];
  const { rows } = await db.query<{ product_id: string }>(
    'SELECT DISTINCT product_id FROM inventory_observations WHERE store_id = $1 AND id = ANY($2::bigint[])',
    [storeId, observationIds],
  );
  return rows.map((r) => r.product_id);
}

/**
 * The forecast of each item now (keyed by variant id, or product id for product-level items):
 * what a message re-reads before it goes, what templates and the catalog page show.
 */
export async function itemForecasts(
  db: Queryable,
  items: Array<{ storeId: string; productId: string; variantId: string | null; velocityDays: number }>,
  now: Date,
): Promise<Map<string, Forecast>> {
  const out = new Map<string, Forecast>();
  if (items.length === 0) return out;
  const { rows } = await db.query<{ product_id: string; variant_id: string | null; days: number; qty: number | null; sold: number | null }>(
    `SELECT x.product_id, x.variant_id, x.days,
       CASE WHEN p.deleted_at IS NOT NULL OR v.deleted_at IS NOT NULL THEN NULL
            WHEN x.variant_id IS NULL THEN p.inventory_quantity ELSE v.inventory_quantity END AS qty,
       (SELECT sum(i.quantity) FROM event_items i JOIN events ev ON ev.store_id = i.store_id AND ev.id = i.event_id
        WHERE i.store_id = x.store_id AND i.product_external_id = p.external_id
          AND (x.variant_id IS NULL OR i.variant_external_id = v.external_id)
          AND ev.metric = 'Ordered Product' AND ev.time > $2::timestamptz - make_interval(days => x.days) AND ev.time <= $2) AS sold
     FROM jsonb_to_recordset($1::jsonb) AS x(store_id uuid, product_id uuid, variant_id uuid, days integer)
     JOIN products p ON p.store_id = x.store_id AND p.id = x.product_id
     LEFT JOIN variants v ON v.store_id = x.store_id AND v.id = x.variant_id`,
    [JSON.stringify(items.map((i) => ({ store_id: i.storeId, product_id: i.productId, variant_id: i.variantId, days: i.velocityDays }))), now],
  );
  for (const r of rows) {
    const sold = r.sold ?? 0;
    out.set(r.variant_id ?? r.product_id, { quantity: r.qty, unitsPerDay: sold / r.days, hours: forecastHours(r.qty, sold, r.days) });
  }
  return out;
}
