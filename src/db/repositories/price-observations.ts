// Price history and the price-drop audience. Observations are written by the database itself
// whenever a product's or variant's price changes (migration 180); this file only reads them.
import type { Queryable } from '../pool.ts';
import { insertRunsFromAudience, orderedSql, reachableSql, type AudienceRun } from './flow-triggers.ts';

export type PriceObservation = {
  id: string;
  level: 'product' | 'variant';
  productId: string;
  variantId: string | null;
  productExternalId: string;
  variantExternalId: string | null;
  oldPrice: number;
  newPrice: number;
  episodeId: string;
  observedAt: Date;
};

/** Falls by id (what the trigger queue names); rises and first prices never reach the queue. */
export async function priceFalls(db: Queryable, storeId: string, ids: string[]): Promise<PriceObservation[]> {
  if (ids.length === 0) return [];
  const { rows } = await db.query<{ id: string; level: 'product' | 'variant'; product_id: string; variant_id: string | null; product_external_id: string; variant_external_id: string | null; old_price: string; new_price: string; episode_id: string; observed_at: Date }>(
    `SELECT o.id::text AS id, o.level, o.product_id, o.variant_id, p.external_id AS product_external_id, v.external_id AS variant_external_id,
       o.old_price, o.new_price, o.episode_id::text AS episode_id, o.observed_at
     FROM price_observations o
     JOIN products p ON p.store_id = o.store_id AND p.id = o.product_id
     LEFT JOIN variants v ON v.store_id = o.store_id AND v.id = o.variant_id
     WHERE o.store_id = $1 AND o.id = ANY($2::bigint[]) AND o.new_price < o.old_price ORDER BY o.id`,
    [storeId, ids],
  );
  return rows.map((r) => ({
    id: r.id,
    level: r.level,
    productId: r.product_id,
    variantId: r.variant_id,
    productExternalId: r.product_external_id,
    variantExternalId: r.variant_external_id,
    oldPrice: Number(r.old_price),
    newPrice: Number(r.new_price),
    episodeId: r.episode_id,
    observedAt: r.observed_at,
  }));
}

export type PriceDropQuery = {
  storeId: string;
  level: 'product' | 'variant';
  productExternalId: string;
  variantExternalId: string | null;
  metrics: string[];
  lookbackDays: number;
  excludePurchasedWithinDays: number;
  channel: 'email' | 'sms';
  now: Date;
  newPrice: number;
  minPercent: number | null;
  minAmount: number | null;
};

/**
 * The price-drop audience as one statement: each profile's latest trigger-metric event on the
 * item within the lookback holds the price they saw; those who saw at least the chosen fall
 * above today's price, minus buyers within the exclusion window, minus those the channel may not
 * reach. Money in cents, as src/flows/price-drop-rule.ts compares it. Parameters as dropParams.
 */
const DROP_SQL = `SELECT s.profile_id, s.seen_price, s.variant_external_id
     FROM (
       SELECT DISTINCT ON (e.profile_id) e.profile_id, i.price AS seen_price, i.variant_external_id
       FROM event_items i
       JOIN events e ON e.store_id = i.store_id AND e.id = i.event_id
       WHERE i.store_id = $1 AND i.product_external_id = $2
         AND ($4 = 'product' OR i.variant_external_id = $3)
         AND e.metric = ANY($5::text[]) AND i.price IS NOT NULL
         AND e.time > $9::timestamptz - make_interval(days => $6) AND e.time <= $9
       ORDER BY e.profile_id, e.time DESC, e.id DESC
     ) s
     JOIN profiles p ON p.store_id = $1 AND p.id = s.profile_id
     CROSS JOIN LATERAL (SELECT round(s.seen_price * 100) AS seen, round(s.seen_price * 100) - round($10::numeric * 100) AS fall) c
     WHERE c.fall > 0
       AND ($12::numeric IS NULL OR c.fall >= round($12::numeric * 100))
       AND ($11::numeric IS NULL OR c.fall * 100 >= c.seen * $11::numeric)
       AND ${reachableSql('$8')}
       AND NOT ${orderedSql({ store: '$1', product: '$2', variant: '$3', level: '$4', profile: 's.profile_id', now: '$9', days: '$7' })}`;

const dropParams = (q: PriceDropQuery) => [
  q.storeId, q.productExternalId, q.variantExternalId, q.level, q.metrics, q.lookbackDays, q.excludePurchasedWithinDays, q.channel, q.now,
  q.newPrice, q.minPercent, q.minAmount,
];

export type DropMember = { profileId: string; seenPrice: number; variantExternalId: string | null };

export async function priceDropAudience(db: Queryable, q: PriceDropQuery): Promise<DropMember[]> {
  const { rows } = await db.query<{ profile_id: string; seen_price: string; variant_external_id: string | null }>(DROP_SQL, dropParams(q));
  return rows.map((r) => ({ profileId: r.profile_id, seenPrice: Number(r.seen_price), variantExternalId: r.variant_external_id }));
}

export async function priceDropAudienceSize(db: Queryable, q: PriceDropQuery): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM (${DROP_SQL}) a`, dropParams(q));
  return rows[0]?.n ?? 0;
}

/**
 * Enters the whole drop audience in the statement that finds it (as the low-inventory fan-out):
 * each run's context gets the price its shopper saw and their variant.
 */
export async function insertDropRuns(db: Queryable, q: PriceDropQuery, run: AudienceRun & { context: Record<string, unknown> & { priceDrop: Record<string, unknown> } }): Promise<number> {
  const { priceDrop, ...rest } = run.context;
  return insertRunsFromAudience(
    db,
    DROP_SQL,
    dropParams(q),
    { ...run, context: rest },
    (p) => `jsonb_build_object('priceDrop', $${p}::jsonb || jsonb_build_object('seenPrice', a.seen_price))`,
    [JSON.stringify(priceDrop)],
  );
}
