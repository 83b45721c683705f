// Support's "low-inventory trigger for custom catalogs" (DESIGN §5): support names which events
// carry the trigger data and in which fields; we check that against the stored catalog and
// events before saving, record who changed what, and can hand the trigger back to the
// platform's own catalog.
import type pg from 'pg';
import { z } from 'zod';
import { withTransaction } from '../db/pool.ts';
import { EventMapping, FieldPath } from '../model/store.ts';
import { Metrics, type EventItemInput } from '../model/event.ts';
import type { StoreId } from '../model/ids.ts';
import { catalogReadiness, knownProductIds, readEventMapping, readTriggerSettings, recentEventsOf, renameMetric, replaceEventItems, sampleEventsOf, writeTriggerSettings } from '../db/repositories/support.ts';
import { insertAudit } from '../db/repositories/support-audit.ts';
import { extractItems, mapEventFields } from '../../connectors/custom/normalise-events.ts';

const EventName = z.string().trim().min(1).max(255);

const SingleItemEvent = z.object({ metric: EventName, productIdField: FieldPath, priceField: FieldPath.optional() });

const LIST_PATH = /^([^\s[\]]+)\[\]\.(\S+)$/;

/**
 * Support may write an item field the way the check reports it, `line_items[].product_id`: the
 * part before `[]` is the item list, the rest the field inside each item.
 */
function splitListPaths(raw: unknown): unknown {
  if (raw === null || typeof raw !== 'object') return raw;
  const v = { ...(raw as Record<string, unknown>) };
  for (const key of ['productIdField', 'priceField'] as const) {
    const m = typeof v[key] === 'string' ? LIST_PATH.exec(v[key] as string) : null;
    if (!m) continue;
    if (v.itemsField === undefined || v.itemsField === '' || v.itemsField === m[1]) {
      v.itemsField = m[1];
      v[key] = m[2];
    }
  }
  return v;
}

/** What support enters in the console. */
export const CustomTriggerInput = z
  .object({
    viewedProduct: SingleItemEvent.optional(),
    addedToCart: SingleItemEvent.optional(),
    startedCheckout: z
      .preprocess(splitListPaths, z.object({ metric: EventName, itemsField: FieldPath, productIdField: FieldPath, priceField: FieldPath.optional() }))
      .optional(),
    orderedProduct: SingleItemEvent,
  })
  .refine((m) => m.viewedProduct || m.addedToCart || m.startedCheckout, {
    message: 'name at least one of Viewed Product, Added to Cart, Started Checkout',
    path: ['viewedProduct'],
  });
export type CustomTriggerInput = z.infer<typeof CustomTriggerInput>;

/**
 * `sample` is one recent event's properties, so support can see the shape the store sends, and
 * `extracted` the items ingest derives from exactly that event under the proposed mapping; both
 * are a shopper's data, so showing them is audited by `sampleEventId` (see support/audit.ts).
 */
export type Check = { name: string; ok: boolean; detail: string; sample?: unknown; sampleEventId?: string; extracted?: EventItemInput[] };
export type CheckReport = { ok: boolean; checks: Check[] };

const LOOKBACK_DAYS = 90;
const SAMPLE_EVENTS = 2000;

const canonical = {
  viewedProduct: Metrics.viewedProduct,
  addedToCart: Metrics.addedToCart,
  startedCheckout: Metrics.startedCheckout,
  orderedProduct: Metrics.orderedProduct,
} as const;

/**
 * Checks a proposed mapping against what the store has actually sent, by running the extractor
 * ingest runs (mapEventFields) on the stored events under the proposed mapping. Writes nothing.
 */
export async function checkCustomTrigger(pool: pg.Pool, storeId: StoreId, input: CustomTriggerInput, now = new Date()): Promise<CheckReport> {
  const since = new Date(now.getTime() - LOOKBACK_DAYS * 24 * 3_600_000);
  const checks: Check[] = [];
  const cat = await catalogReadiness(pool, storeId);
  checks.push({
    name: 'catalog carries inventory',
    ok: cat.withInventory > 0 || cat.variantsWithInventory > 0,
    detail: `${cat.withInventory} of ${cat.products} products and ${cat.variantsWithInventory} variants carry a quantity`,
  });
  checks.push({
    name: 'catalog lists variants',
    ok: cat.products > 0 && cat.withoutVariants === 0,
    detail: cat.withoutVariants === 0 ? `all ${cat.products} products list their variants` : `${cat.withoutVariants} products list no variants; list one even where it repeats the product`,
  });
  const proposed = mappingFrom(EventMapping.parse((await readEventMapping(pool, storeId)) ?? {}), input);
  for (const key of ['orderedProduct', 'viewedProduct', 'addedToCart', 'startedCheckout'] as const) {
    const m = input[key];
    if (!m) continue;
    const events = await sampleEventsOf(pool, { storeId, metric: m.metric, since, limit: SAMPLE_EVENTS });
    const extracted = events.map((e) => ({ id: e.id, properties: e.properties, items: mapEventFields(m.metric, e.properties, proposed).items }));
    const productIds = (items: EventItemInput[]) => items.flatMap((i) => (i.productExternalId ? [i.productExternalId as string] : []));
    const known = await knownProductIds(pool, storeId, [...new Set(extracted.flatMap((e) => productIds(e.items)))]);
    const withField = extracted.filter((e) => productIds(e.items).length > 0).length;
    const matching = extracted.filter((e) => productIds(e.items).some((id) => known.has(id))).length;
    const where = 'itemsField' in m ? `${m.itemsField}[].${m.productIdField}` : m.productIdField;
    const newest = extracted[0];
    checks.push({
      name: `${canonical[key]} carries the product ID`,
      ok: events.length > 0 && withField > 0 && matching > 0,
      detail:
        events.length === 0
          ? `no "${m.metric}" events in the last ${LOOKBACK_DAYS} days`
          : `${withField} of ${events.length} recent "${m.metric}" events have ${where}; ${matching} name a catalog product`,
      ...(newest ? { sample: newest.properties, sampleEventId: newest.id, extracted: newest.items } : {}),
    });
  }
  return { ok: checks.every((c) => c.ok), checks };
}

/** The events whose properties the report shows, as the audit log names them. */
export function sampleEvents(report: CheckReport): string[] {
  return [...new Set(report.checks.flatMap((c) => (c.sample !== undefined && c.sampleEventId ? [`event ${c.sampleEventId}`] : [])))];
}

function mappingFrom(existing: EventMapping, input: CustomTriggerInput): EventMapping {
  const aliases: Record<string, string> = { ...existing.metricAliases };
  const perMetric: EventMapping['perMetric'] = { ...existing.perMetric };
  for (const key of ['viewedProduct', 'addedToCart', 'startedCheckout', 'orderedProduct'] as const) {
    const m = input[key];
    if (!m) continue;
    const to = canonical[key];
    if (m.metric !== to) aliases[m.metric] = to;
    // Started Checkout names its fields inside each element of its item list; the others name
    // them on the event itself.
    perMetric[to] =
      'itemsField' in m
        ? { items: m.itemsField, itemProductId: m.productIdField, ...(m.priceField ? { itemPrice: m.priceField } : {}) }
        : { productId: m.productIdField, ...(m.priceField ? { price: m.priceField } : {}) };
  }
  return { ...existing, metricAliases: aliases, perMetric };
}

export type EnableResult = { ok: true; report: CheckReport; renamed: number; rederived: number } | { ok: false; report: CheckReport };

/**
 * Saves the mapping and turns the trigger on for the custom catalog, only if every check
 * passes. Stored events of the named metrics get the canonical name and have their items
 * derived again with the new field names, so the audience sees the store's history.
 */
export async function enableCustomTrigger(pool: pg.Pool, storeId: StoreId, input: CustomTriggerInput, actor: string, now = new Date()): Promise<EnableResult> {
  const report = await checkCustomTrigger(pool, storeId, input, now);
  if (!report.ok) return { ok: false, report };
  return withTransaction(pool, async (tx) => {
    const before = await readTriggerSettings(tx, storeId);
    if (!before) throw new Error('store not found');
    const mapping = mappingFrom(EventMapping.parse(before.eventMapping ?? {}), input);
    await writeTriggerSettings(tx, storeId, { lowInventoryCatalog: 'custom', customLowInventoryEnabled: true, eventMapping: mapping });
    let renamed = 0;
    for (const [from, to] of Object.entries(mapping.metricAliases)) renamed += await renameMetric(tx, storeId, from, to);
    let rederived = 0;
    const since = new Date(now.getTime() - LOOKBACK_DAYS * 24 * 3_600_000);
    const metrics = [...new Set(Object.values(canonical))];
    for (let after: string | null = null; ; ) {
      const page = await recentEventsOf(tx, storeId, metrics, since, after, 1000);
      if (page.length === 0) break;
      const items = page.flatMap((e) => extractItems(e.metric, e.properties, mapping).map((item, position) => ({ eventId: e.id, position, ...item })));
      await replaceEventItems(tx, storeId, page.map((e) => e.id), items);
      rederived += page.length;
      after = page[page.length - 1]!.id;
    }
    // The log keeps what each check found, not the sample events: those are a shopper's data.
    const checks = report.checks.map(({ name, ok, detail }) => ({ name, ok, detail }));
    await insertAudit(tx, { storeId, actor, kind: 'change', action: 'custom low-inventory trigger enabled', before, after: { lowInventoryCatalog: 'custom', customLowInventoryEnabled: true, eventMapping: mapping, checks } });
    return { ok: true as const, report, renamed, rederived };
  });
}

/** Hands the trigger back to the platform's own catalog (the custom mapping is kept for later). */
export async function useIntegrationCatalog(pool: pg.Pool, storeId: StoreId, actor: string): Promise<boolean> {
  return withTransaction(pool, async (tx) => {
    const before = await readTriggerSettings(tx, storeId);
    if (!before) return false;
    const after = { lowInventoryCatalog: 'integration' as const, customLowInventoryEnabled: false, eventMapping: EventMapping.parse(before.eventMapping ?? {}) };
    await writeTriggerSettings(tx, storeId, after);
    await insertAudit(tx, { storeId, actor, kind: 'change', action: 'low-inventory trigger switched to the integration catalog', before, after });
    return true;
  });
}
