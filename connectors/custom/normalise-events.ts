// Applies a store's field mapping to an incoming event: which metric it is, and where its
// product id, variant id, price and item list live inside `properties`.
import type { EventInput, EventItemInput } from '../../src/model/event.ts';
import type { ExternalProductId, ExternalVariantId } from '../../src/model/ids.ts';
import type { EventMapping } from '../../src/model/store.ts';
import { MAX_MONEY } from '../../src/model/catalog.ts';
import type { EventItem } from './payload-schemas.ts';

export function readPath(source: unknown, path: string): unknown {
  let at: unknown = source;
  for (const key of path.split('.')) {
    if (at === null || typeof at !== 'object' || Array.isArray(at)) return undefined;
    if (!Object.hasOwn(at, key)) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

function asId(v: unknown): string | null {
  if (typeof v === 'string' && v.trim() !== '') return v.trim().slice(0, 255);
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

function asNumber(v: unknown): number | null {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
}

/** Prices come from free-form properties; one the item column cannot hold is treated as absent. */
function asPrice(v: unknown): number | null {
  const n = asNumber(v);
  return n !== null && Math.abs(n) <= MAX_MONEY ? n : null;
}

function asQuantity(v: unknown): number {
  const n = asNumber(v);
  return n !== null && Number.isInteger(n) && n > 0 && n < 1_000_000 ? n : 1;
}

// Own keys only: a metric named "toString", "constructor" or "__proto__" must not resolve to a
// member of Object.prototype (that turned the metric into a function and the call into a 500).
const own = <T>(record: Record<string, T>, key: string): T | undefined => (Object.hasOwn(record, key) ? record[key] : undefined);

export function canonicalMetric(metric: string, mapping: EventMapping): string {
  return own(mapping.metricAliases, metric) ?? metric;
}

/**
 * The items an event names: its item list when it has one, else its single product. A metric's
 * own field names (perMetric) win over the store-wide ones, for the list and inside each item.
 */
export function extractItems(metric: string, properties: Record<string, unknown>, mapping: EventMapping): EventItemInput[] {
  const m = { ...mapping, ...own(mapping.perMetric, metric) };
  const list = readPath(properties, m.items);
  if (Array.isArray(list)) {
    return list.slice(0, 500).flatMap((item) => {
      const productId = asId(readPath(item, m.itemProductId));
      const variantId = asId(readPath(item, m.itemVariantId));
      if (!productId && !variantId) return [];
      return [
        {
          productExternalId: productId as ExternalProductId | null,
          variantExternalId: variantId as ExternalVariantId | null,
          quantity: asQuantity(readPath(item, m.itemQuantity)),
          price: asPrice(readPath(item, m.itemPrice)),
        },
      ];
    });
  }
  const productId = asId(readPath(properties, m.productId));
  const variantId = asId(readPath(properties, m.variantId));
  if (!productId && !variantId) return [];
  return [
    {
      productExternalId: productId as ExternalProductId | null,
      variantExternalId: variantId as ExternalVariantId | null,
      quantity: asQuantity(readPath(properties, m.itemQuantity)),
      price: asPrice(readPath(properties, m.price)),
    },
  ];
}

/**
 * What a store's mapping reads from one event as sent: its canonical metric and its items. Ingest
 * and the support console's mapping check both call this, so the check shows what ingest stores.
 */
export function mapEventFields(metric: string, properties: Record<string, unknown>, mapping: EventMapping): { metric: string; items: EventItemInput[] } {
  const canonical = canonicalMetric(metric, mapping);
  return { metric: canonical, items: extractItems(canonical, properties, mapping) };
}

export function toEventInput(e: EventItem, mapping: EventMapping, receivedAt: Date): EventInput {
  return {
    ...mapEventFields(e.metric, e.properties, mapping),
    profile: e.profile,
    time: e.time ?? receivedAt,
    value: e.value ?? null,
    properties: e.properties,
    uniqueId: e.uniqueId,
  };
}
