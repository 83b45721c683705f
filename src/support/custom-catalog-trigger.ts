// Support's "low-inventory trigger for custom catalogs" (DESIGN §5): support names which events
// carry the trigger data and in which fields; we check that against the stored catalog and
// events before saving, record who changed what, and can hand the trigger back to the
// platform's own catalog.
import type pg from 'pg';
import { z } from 'zod';
import { withTransaction } from '../db/pool.ts';
import { EventMapping, FieldPath } from '../model/store.ts';
import { Metrics } from '../model/event.ts';
import type { StoreId } from '../model/ids.ts';
import { catalogReadiness, fieldCoverage, readTriggerSettings, recentEventsOf, renameMetric, replaceEventItems, writeTriggerSettings } from '../db/repositories/support.ts';
import { insertAudit } from '../db/repositories/support-audit.ts';
import { extractItems } from '../../connectors/custom/map-event.ts';

const EventName = z.string().trim().min(1).max(255);

const SingleItemEvent = z.object({ metric: EventName, productIdField: FieldPath, priceField: FieldPath.optional() });

/** What support enters in the console. */
export const CustomTriggerInput = z
  .object({
    viewedProduct: SingleItemEvent.optional(),
    addedToCart: SingleItemEvent.optional(),
    startedCheckout: z
      .object({ metric: EventName, itemsField: FieldPath, productIdField: FieldPath, priceField: FieldPath.optional() })
      .optional(),
    orderedProduct: SingleItemEvent,
  })
  .refine((m) => m.viewedProduct || m.addedToCart || m.startedCheckout, {
    message: 'name at least one of Viewed Product, Added to Cart, Started Checkout',
    path: ['viewedProduct'],
  });
export type CustomTriggerInput = z.infer<typeof CustomTriggerInput>;

/**
 * `sample` is one recent event's properties, so support can see the shape the store sends; they
 * are a shopper's data, so showing them is audited by `sampleEventId` (see support/audit.ts).
 */
export type Check = { name: string; ok: boolean; detail: string; sample?: unknown; sampleEventId?: string };
export type CheckReport = { ok: boolean; checks: Check[] };

const LOOKBACK_DAYS = 90;

const canonical = {
  viewedProduct: Metrics.viewedProduct,
  addedToCart: Metrics.addedToCart,
  startedCheckout: Metrics.startedCheckout,
  orderedProduct: Metrics.orderedProduct,
} as const;

/** Checks a proposed mapping against what the store has actually sent. Writes nothing. */
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
  for (const key of ['orderedProduct', 'viewedProduct', 'addedToCart', 'startedCheckout'] as const) {
    const m = input[key];
    if (!m) continue;
    const items = 'itemsField' in m ? m.itemsField : null;
    const cov = await fieldCoverage(pool, { storeId, metric: m.metric, path: m.productIdField, itemsPath: items, since });
    const where = items ? `${items}[].${m.productIdField}` : m.productIdField;
    checks.push({
      name: `${canonical[key]} carries the product ID`,
      ok: cov.events > 0 && cov.withField > 0 && cov.matchingCatalog > 0,
      detail:
        cov.events === 0
          ? `no "${m.metric}" events in the last ${LOOKBACK_DAYS} days`
          : `${cov.withField} of ${cov.events} recent "${m.metric}" events have ${where}; ${cov.matchingCatalog} name a catalog product`,
      sample: cov.sample ?? undefined,
      sampleEventId: cov.sampleEventId ?? undefined,
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
    perMetric[to] = {
      productId: m.productIdField,
      ...(m.priceField ? { price: m.priceField } : {}),
      ...('itemsField' in m ? { items: m.itemsField } : {}),
    };
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
