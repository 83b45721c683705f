// Reads behind flow entry: trigger events, date candidates, inventory observations and flow
// version history. The queue itself is flow-trigger-queue.ts.
import type { Queryable } from '../pool.ts';
import type { TriggerEvent } from '../../model/flow.ts';
import type { Observation } from '../../model/catalog.ts';

/** Events with their items, shaped as a run remembers its trigger. */
export async function triggerEvents(db: Queryable, storeId: string, ids: string[]): Promise<Map<string, TriggerEvent & { profileId: string }>> {
  if (ids.length === 0) return new Map();
  const { rows } = await db.query<{ id: string; metric: string; time: Date; value: number | null; properties: Record<string, unknown>; profile_id: string; items: TriggerEvent['items'] | null }>(
    `SELECT e.id::text AS id, e.metric, e.time, e.value, e.properties, e.profile_id,
       (SELECT json_agg(json_build_object('productId', i.product_external_id, 'variantId', i.variant_external_id,
          'quantity', i.quantity, 'price', i.price) ORDER BY i.position) FROM event_items i
        WHERE i.store_id = e.store_id AND i.event_id = e.id) AS items
     FROM events e WHERE e.store_id = $1 AND e.id = ANY($2::bigint[])`,
    [storeId, ids],
  );
  return new Map(
    rows.map((r) => [
      r.id,
      {
        id: r.id,
        metric: r.metric,
        time: r.time.toISOString(),
        value: r.value,
        properties: r.properties,
        items: (r.items ?? []).map((i) => ({ ...i, price: i.price === null ? null : Number(i.price) })),
        profileId: r.profile_id,
      },
    ]),
  );
}

/** Dates kept by ingest rather than given: they live in their own column. */
const KEPT_DATES: Record<string, string> = { firstPurchaseAt: 'first_purchase_at' };

/** Profiles of a store that carry the date property, with their timezone. */
export async function dateCandidates(db: Queryable, storeId: string, property: string): Promise<Array<{ profileId: string; value: unknown; timezone: string | null }>> {
  const column = KEPT_DATES[property];
  const value = column ? `p.${column}` : 'p.properties->$2';
  const has = column ? `p.${column} IS NOT NULL` : 'p.properties ? $2';
  const { rows } = await db.query<{ id: string; value: unknown; timezone: string | null }>(
    `SELECT p.id, ${value} AS value, COALESCE(p.timezone, sp.timezone) AS timezone
     FROM profiles p LEFT JOIN store_preferences sp ON sp.store_id = p.store_id WHERE p.store_id = $1 AND ${has}`,
    column ? [storeId] : [storeId, property],
  );
  // A kept date is a timestamp: given as ISO text, as the profile facts give it.
  return rows.map((r) => ({ profileId: r.id, value: r.value instanceof Date ? r.value.toISOString() : r.value, timezone: r.timezone }));
}


export async function inventoryObservations(db: Queryable, storeId: string, ids: string[]): Promise<Observation[]> {
  if (ids.length === 0) return [];
  const { rows } = await db.query<{ id: string; level: 'product' | 'variant'; product_id: string; variant_id: string | null; product_external_id: string; variant_external_id: string | null; old_quantity: number; new_quantity: number; observed_at: Date }>(
    `SELECT o.id::text AS id, o.level, o.product_id, o.variant_id, p.external_id AS product_external_id, v.external_id AS variant_external_id,
       o.old_quantity, o.new_quantity, o.observed_at
     FROM inventory_observations o
     JOIN products p ON p.store_id = o.store_id AND p.id = o.product_id
     LEFT JOIN variants v ON v.store_id = o.store_id AND v.id = o.variant_id
     WHERE o.store_id = $1 AND o.id = ANY($2::bigint[]) ORDER BY o.id`,
    [storeId, ids],
  );
  return rows.map((r) => ({
    id: r.id,
    level: r.level,
    productId: r.product_id,
    variantId: r.variant_id,
    productExternalId: r.product_external_id,
    variantExternalId: r.variant_external_id,
    oldQuantity: r.old_quantity,
    newQuantity: r.new_quantity,
    observedAt: r.observed_at,
  }));
}

/** Every version of a flow with when it was published (the threshold in force at a given time). */
export async function flowVersionHistory(db: Queryable, storeId: string, flowId: string): Promise<Array<{ version: number; createdAt: Date; definition: unknown }>> {
  const { rows } = await db.query<{ version: number; created_at: Date; definition: unknown }>(
    'SELECT version, created_at, definition FROM flow_versions WHERE store_id = $1 AND flow_id = $2 ORDER BY version',
    [storeId, flowId],
  );
  return rows.map((r) => ({ version: r.version, createdAt: r.created_at, definition: r.definition }));
}

export type AudienceQuery = {
  storeId: string;
  level: 'product' | 'variant';
  productExternalId: string;
  variantExternalId: string | null;
  metrics: string[];
  lookbackDays: number;
  excludePurchasedWithinDays: number;
  channel: 'email' | 'sms';
  now: Date;
};

/** The channel may reach the profile `p` ($channel: 'email' or 'sms'). */
export const reachableSql = (channel: string): string => `CASE ${channel} WHEN 'email' THEN p.email IS NOT NULL AND p.email_consent <> 'unsubscribed'
                   ELSE p.phone IS NOT NULL AND p.sms_consent = 'subscribed' END`;

/**
 * The profile `profile` ordered the item within the exclusion window: an order line for the
 * variant, or one naming only the product, counts for a variant-level item.
 */
export const orderedSql = (a: { store: string; product: string; variant: string; level: string; profile: string; now: string; days: string }): string => `EXISTS (
         SELECT 1 FROM event_items oi JOIN events o ON o.store_id = oi.store_id AND o.id = oi.event_id
         WHERE oi.store_id = ${a.store} AND oi.product_external_id = ${a.product}
           AND (${a.level} = 'product' OR oi.variant_external_id = ${a.variant} OR oi.variant_external_id IS NULL)
           AND o.profile_id = ${a.profile} AND o.metric IN ('Ordered Product', 'Placed Order')
           AND o.time > ${a.now}::timestamptz - make_interval(days => ${a.days}))`;

/**
 * The low-inventory audience as one statement (DESIGN §5): profiles with a trigger-metric event
 * on the item within the lookback window, minus anyone who ordered it within the exclusion
 * window, minus those the channel may not reach. Each comes with the variant they looked at:
 * from their latest event on the item that names one. Parameters $1–$9 as in audienceParams.
 */
const AUDIENCE_SQL = `SELECT DISTINCT ON (e.profile_id) e.profile_id, i.variant_external_id
     FROM event_items i
     JOIN events e ON e.store_id = i.store_id AND e.id = i.event_id
     JOIN profiles p ON p.store_id = e.store_id AND p.id = e.profile_id
     WHERE i.store_id = $1 AND i.product_external_id = $2
       AND ($4 = 'product' OR i.variant_external_id = $3)
       AND e.metric = ANY($5::text[])
       AND e.time > $9::timestamptz - make_interval(days => $6) AND e.time <= $9
       AND ${reachableSql('$8')}
       AND NOT ${orderedSql({ store: '$1', product: '$2', variant: '$3', level: '$4', profile: 'e.profile_id', now: '$9', days: '$7' })}
     ORDER BY e.profile_id, i.variant_external_id IS NULL, e.time DESC`;

const audienceParams = (q: AudienceQuery) => [
  q.storeId, q.productExternalId, q.variantExternalId, q.level, q.metrics, q.lookbackDays, q.excludePurchasedWithinDays, q.channel, q.now,
];

export type AudienceMember = { profileId: string; variantExternalId: string | null };

export async function lowInventoryAudience(db: Queryable, q: AudienceQuery): Promise<AudienceMember[]> {
  const { rows } = await db.query<{ profile_id: string; variant_external_id: string | null }>(AUDIENCE_SQL, audienceParams(q));
  return rows.map((r) => ({ profileId: r.profile_id, variantExternalId: r.variant_external_id }));
}

export async function lowInventoryAudienceSize(db: Queryable, q: AudienceQuery): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM (${AUDIENCE_SQL}) a`, audienceParams(q));
  return rows[0]?.n ?? 0;
}

export type AudienceRun = { flowId: string; version: number; startStep: string; keyPrefix: string; context: unknown };

/**
 * Enters every row of an audience statement (columns profile_id and variant_external_id;
 * parameters $1 the store and $9 the time, as every audience here) into a flow in the same
 * statement that finds it: one INSERT … SELECT, so a 100,000-shopper audience never travels
 * through the application. Each run's context is the given one, plus `rowContext` (SQL over the
 * row `a` and `extra`, numbered after the run's own parameters) and the shopper's variant. The
 * flow row is locked once against deletion (see LIVE_FLOWS in flow-runs.ts).
 */
export async function insertRunsFromAudience(
  db: Queryable,
  audienceSql: string,
  params: unknown[],
  run: AudienceRun,
  rowContext?: (firstExtra: number) => string,
  extra: unknown[] = [],
): Promise<number> {
  const n = params.length;
  // Built once per row: the shared context, the row's own part, the shopper's variant if known.
  const shared = rowContext ? `$${n + 5}::jsonb || ${rowContext(n + 6)}` : `$${n + 5}::jsonb`;
  const { rowCount } = await db.query(
    `WITH live AS MATERIALIZED (SELECT store_id, id FROM flows WHERE store_id = $1 AND id = $${n + 1} FOR KEY SHARE)
     INSERT INTO flow_runs (store_id, flow_id, version, profile_id, key, status, current_step, next_at, entered_at, context)
     SELECT $1, $${n + 1}, $${n + 2}, a.profile_id, $${n + 4} || a.profile_id::text, 'active', $${n + 3}, $9, $9,
       CASE WHEN a.variant_external_id IS NULL THEN ${shared}
            ELSE ${shared} || jsonb_build_object('shopperVariantId', a.variant_external_id) END
     FROM (${audienceSql}) a CROSS JOIN live
     ON CONFLICT (store_id, flow_id, key) DO NOTHING`,
    [...params, run.flowId, run.version, run.startStep, run.keyPrefix, JSON.stringify(run.context), ...extra],
  );
  return rowCount ?? 0;
}

/**
 * Enters the whole low-inventory audience into a flow. Only for flows whose entry needs no
 * per-profile check in code (no filters, re-entry "always").
 */
export async function insertAudienceRuns(db: Queryable, q: AudienceQuery, run: AudienceRun): Promise<number> {
  return insertRunsFromAudience(db, AUDIENCE_SQL, audienceParams(q), run);
}
