// Bulk reads for one flow tick: everything the orchestrator needs about a batch of runs, in a
// handful of set-based queries instead of a few per run.
import type { ConsentState, FactProfile } from '../../model/profile.ts';
import type { FlowStatus } from '../../model/flow.ts';
import type { Queryable } from '../pool.ts';

export type Ref = { storeId: string; id: string };

const refs = (list: Ref[]): string => JSON.stringify(list.map((r) => ({ store_id: r.storeId, id: r.id })));


export async function loadProfiles(db: Queryable, list: Ref[]): Promise<Map<string, FactProfile>> {
  if (list.length === 0) return new Map();
  const { rows } = await db.query<{
    id: string; email: string | null; phone: string | null; first_name: string | null; last_name: string | null;
    timezone: string | null; properties: Record<string, unknown>; email_consent: ConsentState; sms_consent: ConsentState; first_purchase_at: Date | null;
  }>(
    // A shopper whose own timezone is unknown is timed (delays, quiet hours) by the store's.
    `SELECT p.id, p.email, p.phone, p.first_name, p.last_name, COALESCE(p.timezone, sp.timezone) AS timezone, p.properties, p.email_consent, p.sms_consent, p.first_purchase_at
     FROM jsonb_to_recordset($1::jsonb) AS x(store_id uuid, id uuid) JOIN profiles p ON p.store_id = x.store_id AND p.id = x.id
     LEFT JOIN store_preferences sp ON sp.store_id = p.store_id`,
    [refs(list)],
  );
  return new Map(
    rows.map((r) => [
      r.id,
      {
        id: r.id,
        email: r.email,
        phone: r.phone,
        firstName: r.first_name,
        lastName: r.last_name,
        timezone: r.timezone,
        properties: r.properties ?? {},
        consent: { email: r.email_consent, sms: r.sms_consent },
        firstPurchaseAt: r.first_purchase_at?.toISOString() ?? null,
      },
    ]),
  );
}

/** The latest message made for each profile per channel (smart sending). */
export async function lastMessaged(db: Queryable, list: Ref[]): Promise<Map<string, { email: Date | null; sms: Date | null }>> {
  const out = new Map<string, { email: Date | null; sms: Date | null }>();
  if (list.length === 0) return out;
  const { rows } = await db.query<{ profile_id: string; channel: 'email' | 'sms'; at: Date }>(
    `SELECT m.profile_id, m.channel, max(m.created_at) AS at
     FROM jsonb_to_recordset($1::jsonb) AS x(store_id uuid, id uuid)
     JOIN messages m ON m.store_id = x.store_id AND m.profile_id = x.id AND m.status IN ('queued', 'sending', 'sent')
     GROUP BY m.profile_id, m.channel`,
    [refs(list)],
  );
  for (const r of rows) {
    const entry = out.get(r.profile_id) ?? { email: null, sms: null };
    entry[r.channel] = r.at;
    out.set(r.profile_id, entry);
  }
  return out;
}

/** Event times per profile and metric since `since` (split conditions, waits). */
export async function metricTimes(db: Queryable, list: Ref[], metrics: string[], since: Date): Promise<Map<string, Map<string, number[]>>> {
  const out = new Map<string, Map<string, number[]>>();
  if (list.length === 0 || metrics.length === 0) return out;
  const { rows } = await db.query<{ profile_id: string; metric: string; times: Date[] }>(
    `SELECT e.profile_id, e.metric, array_agg(e.time) AS times
     FROM jsonb_to_recordset($1::jsonb) AS x(store_id uuid, id uuid)
     JOIN events e ON e.store_id = x.store_id AND e.profile_id = x.id AND e.metric = ANY($2::text[]) AND e.time >= $3
     GROUP BY e.profile_id, e.metric`,
    [refs(list), metrics, since],
  );
  for (const r of rows) {
    const byMetric = out.get(r.profile_id) ?? new Map<string, number[]>();
    byMetric.set(r.metric, r.times.map((t) => new Date(t).getTime()));
    out.set(r.profile_id, byMetric);
  }
  return out;
}

/**
 * Per profile, the values of `metric` events since `since`, less the `less` metrics' values of the
 * same order (OrderID), each order counted at zero at worst: a refund of an order placed before
 * the window takes nothing off. One statement for the whole page of profiles.
 */
export async function netValueSums(db: Queryable, list: Ref[], metric: string, less: string[], since: Date): Promise<Map<string, number>> {
  if (list.length === 0) return new Map();
  const { rows } = await db.query<{ profile_id: string; total: string }>(
    `SELECT o.profile_id, sum(o.net) AS total FROM (
       SELECT e.profile_id, GREATEST(0, sum(CASE WHEN e.metric = $2 THEN COALESCE(e.value, 0) ELSE -COALESCE(e.value, 0) END)) AS net
       FROM jsonb_to_recordset($1::jsonb) AS x(store_id uuid, id uuid)
       JOIN events e ON e.store_id = x.store_id AND e.profile_id = x.id AND (e.metric = $2 OR e.metric = ANY($3::text[])) AND e.time >= $4
       GROUP BY e.profile_id, COALESCE(e.properties->>'OrderID', e.id::text)
     ) o GROUP BY o.profile_id`,
    [refs(list), metric, less, since],
  );
  return new Map(rows.map((r) => [r.profile_id, Number(r.total)]));
}

/** Current status of each flow, and whether its store is still installed. */
export type FlowHead = { status: FlowStatus; storeActive: boolean; storeDomain: string; storePlatform: string; storeCurrency?: string };

export async function flowHeads(db: Queryable, list: Ref[]): Promise<Map<string, FlowHead>> {
  if (list.length === 0) return new Map();
  const { rows } = await db.query<{ id: string; status: FlowStatus; store_status: string; domain: string; platform: string; currency: string | null }>(
    `SELECT f.id, f.status, s.status AS store_status, s.domain, s.platform, sp.currency FROM jsonb_to_recordset($1::jsonb) AS x(store_id uuid, id uuid)
     JOIN flows f ON f.store_id = x.store_id AND f.id = x.id JOIN stores s ON s.id = f.store_id
     LEFT JOIN store_preferences sp ON sp.store_id = f.store_id`,
    [refs(list)],
  );
  return new Map(rows.map((r) => [r.id, { status: r.status, storeActive: r.store_status === 'active', storeDomain: r.domain, storePlatform: r.platform, storeCurrency: r.currency ?? 'USD' }]));
}

export type ItemState = { quantity: number | null; price: number | null };

/** Current quantity and price of products (level product) or variants (level variant), by our id; null when removed. */
export async function itemStates(db: Queryable, items: Array<{ storeId: string; level: 'product' | 'variant'; id: string }>): Promise<Map<string, ItemState>> {
  const out = new Map<string, ItemState>();
  if (items.length === 0) return out;
  const { rows } = await db.query<{ id: string; quantity: number | null; price: string | null }>(
    `SELECT p.id, CASE WHEN p.deleted_at IS NULL THEN p.inventory_quantity END AS quantity, CASE WHEN p.deleted_at IS NULL THEN p.price END AS price
       FROM jsonb_to_recordset($1::jsonb) AS x(store_id uuid, level text, id uuid)
       JOIN products p ON x.level = 'product' AND p.store_id = x.store_id AND p.id = x.id
     UNION ALL
     SELECT v.id, CASE WHEN v.deleted_at IS NULL THEN v.inventory_quantity END, CASE WHEN v.deleted_at IS NULL THEN v.price END
       FROM jsonb_to_recordset($1::jsonb) AS x(store_id uuid, level text, id uuid)
       JOIN variants v ON x.level = 'variant' AND v.store_id = x.store_id AND v.id = x.id`,
    [JSON.stringify(items.map((i) => ({ store_id: i.storeId, level: i.level, id: i.id })))],
  );
  for (const r of rows) out.set(r.id, { quantity: r.quantity, price: r.price === null ? null : Number(r.price) });
  return out;
}

/** Current quantity of products (level product) or variants (level variant), by our id. */
export async function itemQuantities(db: Queryable, items: Array<{ storeId: string; level: 'product' | 'variant'; id: string }>): Promise<Map<string, number | null>> {
  return new Map([...(await itemStates(db, items))].map(([id, s]) => [id, s.quantity]));
}

export type TemplateProduct = { id: string; externalId: string; title: string; url: string | null; imageUrl: string | null; price: number | null; inventoryQuantity: number | null };

/** Products by our id or by external id (event items name the platform's ids). */
export async function templateProducts(db: Queryable, storeId: string, ids: string[], externalIds: string[]): Promise<TemplateProduct[]> {
  if (ids.length === 0 && externalIds.length === 0) return [];
  const { rows } = await db.query<{ id: string; external_id: string; title: string; url: string | null; image_url: string | null; price: number | null; inventory_quantity: number | null }>(
    `SELECT id, external_id, title, url, image_url, price, inventory_quantity FROM products
     WHERE store_id = $1 AND (id = ANY($2::uuid[]) OR external_id = ANY($3::text[]))`,
    [storeId, ids, externalIds],
  );
  return rows.map((r) => ({ id: r.id, externalId: r.external_id, title: r.title, url: r.url, imageUrl: r.image_url, price: r.price, inventoryQuantity: r.inventory_quantity }));
}

export type TemplateVariant = { externalId: string; title: string | null; sku: string | null; price: number | null; inventoryQuantity: number | null };

/** One live variant of a product, by our id or by the platform's (what a shopper's event names). */
export async function templateVariant(db: Queryable, storeId: string, productId: string, by: { id: string | null; externalId: string | null }): Promise<TemplateVariant | undefined> {
  if (!by.id && !by.externalId) return undefined;
  const { rows } = await db.query<{ external_id: string; title: string | null; sku: string | null; price: string | null; inventory_quantity: number | null }>(
    `SELECT external_id, title, sku, price, inventory_quantity FROM variants
     WHERE store_id = $1 AND product_id = $2 AND deleted_at IS NULL AND (id = $3::uuid OR external_id = $4) LIMIT 1`,
    [storeId, productId, by.id, by.externalId],
  );
  const r = rows[0];
  return r && { externalId: r.external_id, title: r.title, sku: r.sku, price: r.price === null ? null : Number(r.price), inventoryQuantity: r.inventory_quantity };
}

/** Merges properties into profiles (update-profile steps). */
export async function mergeProfileProperties(db: Queryable, updates: Array<{ storeId: string; profileId: string; set: Record<string, unknown> }>): Promise<void> {
  if (updates.length === 0) return;
  await db.query(
    `UPDATE profiles p SET properties = p.properties || x.props, updated_at = now()
     FROM jsonb_to_recordset($1::jsonb) AS x(store_id uuid, profile_id uuid, props jsonb)
     WHERE p.store_id = x.store_id AND p.id = x.profile_id`,
    [JSON.stringify(updates.map((u) => ({ store_id: u.storeId, profile_id: u.profileId, props: u.set })))],
  );
}
