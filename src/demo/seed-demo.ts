// A custom-catalog demo store: a small catalog with some items close to selling out,
// shoppers with mixed consent, and a week of storefront and order events. Deterministic
// (seeded), so running it again adds nothing twice.
import type { Runtime } from '../runtime.ts';
import type { ProductInput } from '../model/catalog.ts';
import type { EventInput } from '../model/event.ts';
import type { ExternalProductId, ExternalVariantId } from '../model/ids.ts';
import type { ProfileInput } from '../model/profile.ts';
import { Metrics } from '../model/event.ts';
import { findStoreByDomain } from '../db/repositories/stores.ts';
import { createStore, rotateKeys, type CreatedStore } from '../stores/create-store.ts';
import { ingestCatalog } from '../ingest/ingest-catalog.ts';
import { ingestProfiles } from '../ingest/ingest-profiles.ts';
import { ingestEvents } from '../ingest/ingest-events.ts';

export const DEMO_DOMAIN = 'demo.storeflow.test';

/** mulberry32: a tiny seeded PRNG so the demo is the same on every machine. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PRODUCTS: Array<[string, number, string[] | null, number[]]> = [
  ['Linen Shirt', 59, ['S', 'M', 'L'], [4, 2, 9]],
  ['Wool Beanie', 25, null, [3]],
  ['Canvas Tote', 35, null, [40]],
  ['Trail Runner', 120, ['40', '41', '42', '43'], [1, 3, 0, 6]],
  ['Ceramic Mug', 18, ['Sand', 'Slate'], [12, 2]],
  ['Rain Jacket', 149, ['M', 'L'], [5, 5]],
  ['Leather Wallet', 65, null, [7]],
  ['Cotton Socks (3 pack)', 15, ['S/M', 'L/XL'], [30, 25]],
  ['Sunglasses', 89, null, [2]],
  ['Water Bottle', 29, ['Green', 'Black'], [14, 3]],
  ['Notebook', 12, null, [60]],
  ['Gift Card', 50, null, []],
];

export function demoCatalog(): ProductInput[] {
  return PRODUCTS.map(([title, price, options, stock], i) => {
    const externalId = `demo-${String(i + 1).padStart(3, '0')}`;
    const slug = title.toLowerCase().replace(/[^a-z0-9]+/g, '-');
    const tracking = stock.length === 0 ? 'none' : options ? 'variant' : 'product';
    const variants = (options ?? ['Default']).map((option, j) => ({
      externalId: `${externalId}-${j + 1}` as ExternalVariantId,
      sku: `SKU-${i + 1}-${j + 1}`,
      title: option,
      price,
      inventoryQuantity: stock[j] ?? null,
    }));
    return {
      externalId: externalId as ExternalProductId,
      title,
      url: `https://${DEMO_DOMAIN}/products/${slug}`,
      imageUrl: `https://${DEMO_DOMAIN}/images/${slug}.jpg`,
      price,
      inventoryTracking: tracking,
      inventoryQuantity: tracking === 'product' ? (stock[0] ?? null) : null,
      // The catalog lists variants even where one merely duplicates its product (DESIGN §5).
      variants,
    };
  });
}

export function demoProfiles(): ProfileInput[] {
  const first = ['Ada', 'Ben', 'Chloé', 'Dev', 'Emi', 'Farah', 'Gus', 'Hana', 'Ivo', 'Jun'];
  const last = ['Lovelace', 'Okafor', 'Martin', 'Patel', 'Sato', 'Haddad', 'Berg', 'Kim', 'Novak', 'Li'];
  const zones = ['America/New_York', 'Europe/Berlin', 'Asia/Tokyo', 'America/Los_Angeles', 'Europe/London'];
  return Array.from({ length: 40 }, (_, i) => ({
    email: `shopper${i + 1}@example.com`,
    ...(i % 3 === 0 ? { phone: `+1415555${String(1000 + i).padStart(4, '0')}` } : {}),
    firstName: first[i % first.length]!,
    lastName: last[(i * 7) % last.length]!,
    timezone: zones[i % zones.length]!,
    properties: { birthday: `19${70 + (i % 30)}-${String((i % 12) + 1).padStart(2, '0')}-15`, vip: i % 10 === 0 },
    consent: {
      email: i % 9 === 8 ? 'unsubscribed' : i % 4 === 0 ? 'never_subscribed' : 'subscribed',
      sms: i % 3 === 0 ? 'subscribed' : 'never_subscribed',
    },
    lists: i < 25 ? ['Newsletter'] : [],
  }));
}

export function demoEvents(now: Date): EventInput[] {
  const rand = prng(20261126);
  const catalog = demoCatalog().filter((p) => p.inventoryTracking !== 'none');
  const events: EventInput[] = [];
  const day = 24 * 3600_000;
  // Anchor to the start of the hour so a re-run in the same hour derives the same unique ids.
  const anchor = Math.floor(now.getTime() / 3_600_000) * 3_600_000;
  for (let i = 0; i < 400; i++) {
    const email = `shopper${1 + Math.floor(rand() * 40)}@example.com`;
    const product = catalog[Math.floor(rand() * catalog.length)]!;
    const variant = product.variants[Math.floor(rand() * product.variants.length)]!;
    const time = new Date(anchor - Math.floor(rand() * 7 * day));
    const item = { ProductID: product.externalId, VariantID: variant.externalId, Price: product.price };
    const roll = rand();
    const metric = roll < 0.6 ? Metrics.viewedProduct : roll < 0.8 ? Metrics.addedToCart : roll < 0.93 ? Metrics.startedCheckout : Metrics.placedOrder;
    const base = { profile: { email }, time };
    const lineItem = { productExternalId: product.externalId, variantExternalId: variant.externalId, quantity: 1, price: product.price ?? null };
    if (metric === Metrics.viewedProduct || metric === Metrics.addedToCart) {
      events.push({ ...base, metric, value: product.price ?? null, properties: { ...item, ProductName: product.title }, items: [lineItem], uniqueId: `demo-${i}` });
      continue;
    }
    const items = [{ ProductID: product.externalId, VariantID: variant.externalId, Quantity: 1, ItemPrice: product.price }];
    events.push({ ...base, metric, value: product.price ?? null, properties: { Items: items, CheckoutURL: `https://${DEMO_DOMAIN}/checkout/${i}` }, items: [lineItem], uniqueId: `demo-${i}` });
    if (metric === Metrics.placedOrder) {
      events.push({ ...base, metric: Metrics.orderedProduct, value: product.price ?? null, properties: { ...item, OrderID: `demo-order-${i}` }, items: [lineItem], uniqueId: `demo-${i}-line-1` });
    }
  }
  return events;
}

export type DemoResult = CreatedStore & { products: number; profiles: number; events: number; reusedStore: boolean };

/** Creates (or refreshes) the demo store. An existing demo store gets new keys, printed once. */
export async function seedDemo(rt: Runtime, now: Date = new Date()): Promise<DemoResult> {
  const existing = await findStoreByDomain(rt.db.pool, 'custom', DEMO_DOMAIN);
  const created = existing ? await rotateKeys(rt.db.pool, existing) : await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: DEMO_DOMAIN });
  const storeId = created.store.id;
  const catalog = demoCatalog();
  await ingestCatalog(rt.db.pool, storeId, catalog, { now });
  const profiles = demoProfiles();
  await ingestProfiles(rt.db.pool, storeId, profiles);
  const events = demoEvents(now);
  await ingestEvents(rt.db.pool, storeId, events);
  return { ...created, products: catalog.length, profiles: profiles.length, events: events.length, reusedStore: Boolean(existing) };
}
