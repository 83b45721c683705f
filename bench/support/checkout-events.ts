// Started Checkout events shaped as merchants send them (DESIGN §3): an `Items` list of
// {ProductID, VariantID, Quantity, ItemPrice}. Each batch is derived from its index alone, so
// the API path and the raw path store exactly the same rows without keeping them in memory.

export const PROFILE_COUNT = 2_000;
const PRODUCT_COUNT = 500;
const VARIANTS_PER_PRODUCT = 4;
const DAY_MS = 86_400_000;

export type CheckoutItem = { ProductID: string; VariantID: string; Quantity: number; ItemPrice: number };

export type CheckoutEvent = {
  uniqueId: string;
  email: string;
  time: string;
  value: number;
  properties: { CheckoutURL: string; ItemCount: number; Items: CheckoutItem[] };
};

export const METRIC = 'Started Checkout';

/** mulberry32: tiny, seedable, good enough to spread ids; Math.random cannot be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export const profileEmail = (i: number): string => `shopper${String(i).padStart(4, '0')}@example.com`;

export function allProfileEmails(): string[] {
  return Array.from({ length: PROFILE_COUNT }, (_, i) => profileEmail(i));
}

/** Fixed per run so both paths see identical timestamps. */
const EPOCH = Date.now();

export function checkoutBatch(runId: string, batchIndex: number, size: number, itemsPerEvent: number): CheckoutEvent[] {
  const rand = prng(0x5eed ^ Math.imul(batchIndex + 1, 0x9e3779b1));
  const events: CheckoutEvent[] = [];
  for (let n = 0; n < size; n++) {
    // Skewed towards low indexes: a few regulars check out often, most shoppers rarely.
    const profile = Math.floor(PROFILE_COUNT * rand() ** 1.5);
    const items: CheckoutItem[] = [];
    for (let k = 0; k < itemsPerEvent; k++) {
      const product = Math.floor(rand() * PRODUCT_COUNT);
      const variant = Math.floor(rand() * VARIANTS_PER_PRODUCT);
      items.push({
        ProductID: `P${product}`,
        VariantID: `P${product}-V${variant}`,
        Quantity: 1 + Math.floor(rand() * 3),
        ItemPrice: (500 + product * 37 + variant * 100) / 100,
      });
    }
    const uniqueId = `${runId}-${batchIndex}-${n}`;
    events.push({
      uniqueId,
      email: profileEmail(profile),
      time: new Date(EPOCH - Math.floor(rand() * 30 * DAY_MS)).toISOString(),
      value: Math.round(items.reduce((sum, i) => sum + i.Quantity * i.ItemPrice, 0) * 100) / 100,
      properties: { CheckoutURL: `https://shop.example.com/checkouts/${uniqueId}`, ItemCount: itemsPerEvent, Items: items },
    });
  }
  return events;
}

/** The body of one `POST /api/v1/events` call. */
export function apiBody(events: CheckoutEvent[]): string {
  return JSON.stringify({
    events: events.map((e) => ({
      metric: METRIC,
      profile: { email: e.email },
      properties: e.properties,
      value: e.value,
      time: e.time,
      uniqueId: e.uniqueId,
    })),
  });
}
