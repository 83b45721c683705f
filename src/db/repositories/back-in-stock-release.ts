// Back in stock with fair release: restocks that may open an episode, the episode rows, and the
// release itself, one statement that picks the oldest waiting requests the stock allows, marks
// them notified and enters their runs. Marking and entering commit together: a crashed worker or
// a redelivered restock never tells a shopper twice and never loses one.
import type { Queryable } from '../pool.ts';
import { reachableSql } from './flow-triggers.ts';

/** A variant's counted stock: its own, or its product's when stock is kept per product. */
const STOCK_SQL = `COALESCE(v.inventory_quantity, CASE WHEN p.inventory_tracking = 'product' THEN p.inventory_quantity END)`;

export type Restock = {
  observationId: string;
  productId: string;
  variantId: string;
  oldQuantity: number;
  newQuantity: number;
  observedAt: Date;
};

/**
 * The variants these stock changes moved: a variant's own change, or for a product kept in
 * stock per product, each of its variants with someone waiting.
 */
export async function variantStockChanges(db: Queryable, storeId: string, observationIds: string[]): Promise<Restock[]> {
  if (observationIds.length === 0) return [];
  const { rows } = await db.query<{ id: string; product_id: string; variant_id: string; old_quantity: number; new_quantity: number; observed_at: Date }>(
    `SELECT o.id::text AS id, o.product_id, COALESCE(o.variant_id, v.id) AS variant_id, o.old_quantity, o.new_quantity, o.observed_at
     FROM inventory_observations o
     JOIN products p ON p.store_id = o.store_id AND p.id = o.product_id
     LEFT JOIN variants v ON o.level = 'product' AND p.inventory_tracking = 'product'
       AND v.store_id = o.store_id AND v.product_id = o.product_id AND v.deleted_at IS NULL
       AND EXISTS (SELECT 1 FROM back_in_stock_requests r WHERE r.store_id = v.store_id AND r.variant_id = v.id AND r.notified_at IS NULL)
     WHERE o.store_id = $1 AND o.id = ANY($2::bigint[]) AND o.old_quantity IS NOT NULL AND o.new_quantity IS NOT NULL
       AND (o.level = 'variant' OR v.id IS NOT NULL)
     ORDER BY o.id`,
    [storeId, observationIds],
  );
  return rows.map((r) => ({ observationId: r.id, productId: r.product_id, variantId: r.variant_id, oldQuantity: r.old_quantity, newQuantity: r.new_quantity, observedAt: r.observed_at }));
}

/** Opens the episode a restock starts; undefined when one is open already or this restock opened one before. */
export async function openEpisode(
  db: Queryable,
  e: { storeId: string; flowId: string; productId: string; variantId: string; observationId: string | null; now: Date },
): Promise<string | undefined> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO back_in_stock_episodes (store_id, flow_id, product_id, variant_id, observation_id, started_at, next_release_at)
     SELECT $1, $2, $3, $4, $5, $6, $6
     WHERE NOT EXISTS (SELECT 1 FROM back_in_stock_episodes x WHERE x.store_id = $1 AND x.flow_id = $2 AND x.variant_id = $4 AND x.observation_id = $5)
     ON CONFLICT DO NOTHING
     RETURNING id::text AS id`,
    [e.storeId, e.flowId, e.productId, e.variantId, e.observationId, e.now],
  );
  return rows[0]?.id;
}

/** Ends the open episodes of these variants (every flow): they sold out again. */
export async function endEpisodesOf(db: Queryable, storeId: string, variantIds: string[], reason: string, now: Date): Promise<number> {
  if (variantIds.length === 0) return 0;
  const { rowCount } = await db.query(
    `UPDATE back_in_stock_episodes SET ended_at = $4, end_reason = $3, next_release_at = NULL
     WHERE store_id = $1 AND variant_id = ANY($2::uuid[]) AND ended_at IS NULL`,
    [storeId, variantIds, reason, now],
  );
  return rowCount ?? 0;
}

export async function endEpisode(db: Queryable, storeId: string, episodeId: string, reason: string, now: Date): Promise<void> {
  await db.query(
    'UPDATE back_in_stock_episodes SET ended_at = $4, end_reason = $3, next_release_at = NULL WHERE store_id = $1 AND id = $2 AND ended_at IS NULL',
    [storeId, episodeId, reason, now],
  );
}

export type LockedEpisode = { storeId: string; id: string; flowId: string; productId: string; variantId: string; stock: number | null };

/** The open episode, locked for this transaction (a second worker skips it), with the variant's stock now. */
export async function lockEpisode(db: Queryable, storeId: string, episodeId: string): Promise<LockedEpisode | undefined> {
  const { rows } = await db.query<{ store_id: string; id: string; flow_id: string; product_id: string; variant_id: string; stock: number | null }>(
    `SELECT e.store_id, e.id::text AS id, e.flow_id, e.product_id, e.variant_id, ${STOCK_SQL} AS stock
     FROM back_in_stock_episodes e
     JOIN variants v ON v.store_id = e.store_id AND v.id = e.variant_id AND v.deleted_at IS NULL
     JOIN products p ON p.store_id = e.store_id AND p.id = e.product_id
     WHERE e.store_id = $1 AND e.id = $2 AND e.ended_at IS NULL
     FOR UPDATE OF e SKIP LOCKED`,
    [storeId, episodeId],
  );
  const r = rows[0];
  return r && { storeId: r.store_id, id: r.id, flowId: r.flow_id, productId: r.product_id, variantId: r.variant_id, stock: r.stock };
}

/** Episodes whose next recount is due, oldest due first. */
export async function dueEpisodes(db: Queryable, now: Date, limit: number): Promise<Array<{ storeId: string; id: string }>> {
  const { rows } = await db.query<{ store_id: string; id: string }>(
    `SELECT store_id, id::text AS id FROM back_in_stock_episodes
     WHERE ended_at IS NULL AND next_release_at <= $1 ORDER BY next_release_at LIMIT $2`,
    [now, limit],
  );
  return rows.map((r) => ({ storeId: r.store_id, id: r.id }));
}

export type Release = {
  storeId: string;
  episodeId: string;
  variantId: string;
  flowId: string;
  version: number;
  startStep: string;
  channel: 'email' | 'sms';
  /** Units of the budget: shoppers per unit times the stock now. */
  budget: number;
  /** Stock now: a request for more units than this waits for a bigger restock. */
  stock: number;
  now: Date;
  nextReleaseAt: Date;
};

/**
 * The waiting requests a batch releases, oldest first, while their requested quantities fit
 * the budget: the statement stops before the first that does not, so a later, smaller request
 * never overtakes an older one. Only open, unexpired requests on the flow's channel from
 * shoppers that channel may reach. $1 store, $2 variant, $3 channel, $4 now, $5 budget, $6 stock.
 */
const QUEUE_SQL = `SELECT q.id, q.profile_id, q.quantity FROM (
       SELECT r.id, r.profile_id, r.quantity, sum(r.quantity) OVER (ORDER BY r.created_at, r.id) AS running
       FROM back_in_stock_requests r
       JOIN profiles p ON p.store_id = r.store_id AND p.id = r.profile_id
       WHERE r.store_id = $1 AND r.variant_id = $2 AND r.notified_at IS NULL AND r.expires_at > $4
         AND r.quantity <= $6 AND $3 = ANY(r.channels) AND ${reachableSql('$3')}
       ORDER BY r.created_at, r.id
       LIMIT $5
     ) q WHERE q.running <= $5`;

/**
 * Releases one batch of an episode (locked by the caller): marks the requests notified by this
 * flow and episode and enters one run each, keyed by the request, in one statement.
 */
export async function releaseBatch(db: Queryable, r: Release): Promise<number> {
  const { rows } = await db.query<{ notified: number }>(
    `WITH ep AS (
       SELECT e.store_id, e.id, e.product_id, e.variant_id, v.external_id AS variant_external_id,
         -- Stock kept per product is read again at the product; the message still names the variant.
         (v.inventory_quantity IS NULL AND p.inventory_tracking = 'product') AS product_stock
       FROM back_in_stock_episodes e
       JOIN variants v ON v.store_id = e.store_id AND v.id = e.variant_id
       JOIN products p ON p.store_id = e.store_id AND p.id = e.product_id
       WHERE e.store_id = $1 AND e.id = $7 AND e.ended_at IS NULL
     ), picked AS (
       UPDATE back_in_stock_requests r SET notified_at = $4, notified_flow_id = $8, notified_episode_id = $7
       FROM (${QUEUE_SQL}) q
       WHERE r.store_id = $1 AND r.id = q.id AND r.notified_at IS NULL AND EXISTS (SELECT 1 FROM ep)
       RETURNING r.id, r.profile_id, r.quantity
     ), entered AS (
       INSERT INTO flow_runs (store_id, flow_id, version, profile_id, key, status, current_step, next_at, entered_at, context)
       SELECT $1, $8, $9, k.profile_id, 'back-in-stock:' || k.id::text, 'active', $10, $4, $4,
         jsonb_build_object('webhooks', '{}'::jsonb, 'branches', '{}'::jsonb,
           'item', CASE WHEN ep.product_stock THEN jsonb_build_object('level', 'product', 'productId', ep.product_id, 'variantId', NULL)
             ELSE jsonb_build_object('level', 'variant', 'productId', ep.product_id, 'variantId', ep.variant_id) END,
           'shopperVariantId', ep.variant_external_id,
           'backInStock', jsonb_build_object('requestId', k.id, 'quantity', k.quantity, 'episodeId', ep.id::text))
       FROM picked k CROSS JOIN ep
       ON CONFLICT (store_id, flow_id, key) DO NOTHING
       RETURNING 1
     ), bumped AS (
       UPDATE back_in_stock_episodes e SET batches = e.batches + 1, released = e.released + (SELECT count(*) FROM picked), next_release_at = $11
       FROM ep WHERE e.store_id = ep.store_id AND e.id = ep.id
       RETURNING 1
     )
     SELECT (SELECT count(*) FROM picked)::int AS notified, (SELECT count(*) FROM entered)::int AS entered, (SELECT count(*) FROM bumped)::int AS bumped`,
    [r.storeId, r.variantId, r.channel, r.now, r.budget, r.stock, r.episodeId, r.flowId, r.version, r.startStep, r.nextReleaseAt],
  );
  return rows[0]?.notified ?? 0;
}

/** Whether anyone still waits for the variant (open and unexpired). */
export async function anyoneWaiting(db: Queryable, storeId: string, variantId: string, now: Date): Promise<boolean> {
  const { rows } = await db.query(
    'SELECT 1 FROM back_in_stock_requests WHERE store_id = $1 AND variant_id = $2 AND notified_at IS NULL AND expires_at > $3 LIMIT 1',
    [storeId, variantId, now],
  );
  return rows.length > 0;
}
