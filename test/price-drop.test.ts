// The price-drop flow on real Postgres: the price history kept by the database, the set-based
// audience against the price each shopper saw, once per drop episode, the price read again
// before sending, and the settings refused with their field named.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { createStore } from '../src/stores/create-store.ts';
import { createApp } from '../src/web/app.ts';
import { ingestCatalog } from '../src/ingest/ingest-catalog.ts';
import { ingestEvents } from '../src/ingest/ingest-events.ts';
import { ingestProfiles } from '../src/ingest/ingest-profiles.ts';
import { processTriggerQueue } from '../src/flows/enter-flows.ts';
import { runFlowTick } from '../src/flows/tick.ts';
import { dropHolds } from '../src/flows/price-drop-rule.ts';
import type { ProductInput } from '../src/model/catalog.ts';
import type { EventInput } from '../src/model/event.ts';
import type { ExternalProductId, ExternalVariantId, StoreId } from '../src/model/ids.ts';
import type { Platform } from '../src/model/store.ts';

const DAY = 24 * 3_600_000;

describe('price-drop flow', () => {
  let rt: TestRuntime;
  let app: ReturnType<typeof createApp>;
  const tick = (now = new Date()) => runFlowTick({ pool: rt.db.pool, config: rt.config, secrets: rt.secrets, logger: rt.logger }, { now });
  const triggers = () => processTriggerQueue(rt.db.pool, { now: new Date() });
  const shirt = (price: number, variants: Array<[string, number, string?]> = []): ProductInput => ({
    externalId: 'shirt' as ExternalProductId,
    title: 'Linen Shirt',
    url: 'https://shop.example.com/shirt',
    imageUrl: null,
    price,
    inventoryTracking: variants.length ? 'variant' : 'product',
    inventoryQuantity: variants.length ? null : 50,
    variants: variants.map(([id, p, title]) => ({ externalId: id as ExternalVariantId, price: p, title: title ?? id, inventoryQuantity: 10 })),
  });
  const ev = (email: string, metric: string, id: string, daysAgo: number, price: number, variant: string | null = null): EventInput => ({
    metric,
    profile: { email },
    time: new Date(Date.now() - daysAgo * DAY),
    value: price,
    properties: {},
    items: [{ productExternalId: 'shirt' as ExternalProductId, variantExternalId: variant as ExternalVariantId | null, quantity: 1, price }],
    uniqueId: id,
  });
  const runsOf = async (flowId: string) =>
    (await rt.db.pool.query<{ key: string; email: string; context: Record<string, unknown> }>(
      'SELECT r.key, p.email, r.context FROM flow_runs r JOIN profiles p ON p.id = r.profile_id WHERE r.flow_id = $1 ORDER BY p.email, r.key', [flowId])).rows;
  const messagesOf = async (flowId: string) =>
    (await rt.db.pool.query<{ status: string; reason: string | null; recipient: string; subject: string | null; html: string | null }>(
      'SELECT status, reason, recipient, subject, html FROM messages WHERE flow_id = $1 ORDER BY recipient, created_at', [flowId])).rows;
  const addStore = async (name: string, platform: Platform) => {
    const created = await createStore(rt.db.pool, rt.secrets, { platform, domain: `${name}.example.com` });
    return { id: created.store.id as StoreId, auth: { Authorization: `Bearer ${created.privateKey}` } };
  };
  const createFlow = async (auth: { Authorization: string }, trigger: Record<string, unknown>) => {
    const res = await request(app).post('/api/v1/flows').set(auth).send({ preset: 'price-drop', status: 'live', trigger });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.id as string;
  };

  before(async () => {
    rt = await testRuntime({ env: { SHOPIFY_API_KEY: 'test-key', SHOPIFY_API_SECRET: 'test-secret' } });
    app = createApp(rt);
  });
  after(async () => rt.dispose());

  test('the rule compares in cents: 19.99 to 17.99 is a 2.00 fall, 10% of 100 is met by 90 and not by 90.01', () => {
    assert.equal(dropHolds(19.99, 17.99, { minAmount: 2 }), true);
    assert.equal(dropHolds(19.99, 18, { minAmount: 2 }), false);
    assert.equal(dropHolds(100, 90, { minPercent: 10 }), true);
    assert.equal(dropHolds(100, 90.01, { minPercent: 10 }), false);
    assert.equal(dropHolds(100, 80, { minPercent: 10, minAmount: 25 }), false, 'both set: both must hold');
    assert.equal(dropHolds(100, 100, {}), false);
  });

  test('a fall reaches those who saw the item dearer by the share, not buyers, stale or cheaper viewers; once per drop episode', async () => {
    const s = await addStore('drop-shop', 'shopify');
    await ingestCatalog(rt.db.pool, s.id, [shirt(100)]);
    await ingestProfiles(rt.db.pool, s.id, [
      { email: 'viewer@example.com', firstName: 'Vi', consent: { email: 'subscribed' } },
      { email: 'unsub@example.com', consent: { email: 'unsubscribed' } },
    ]);
    await ingestEvents(rt.db.pool, s.id, [
      ev('viewer@example.com', 'Viewed Product', 'v1', 2, 100),
      ev('carter@example.com', 'Added to Cart', 'c1', 1, 100),
      ev('cheap@example.com', 'Viewed Product', 'ch1', 1, 95),
      ev('buyer@example.com', 'Viewed Product', 'b1', 3, 100),
      ev('buyer@example.com', 'Ordered Product', 'b2', 2, 100),
      ev('old@example.com', 'Viewed Product', 'o1', 40, 100),
      ev('unsub@example.com', 'Viewed Product', 'u1', 1, 100),
      ev('checkout@example.com', 'Started Checkout', 'sc1', 1, 100),
    ]);
    await triggers();
    const flowId = await createFlow(s.auth, { minPercent: 10, metrics: ['Viewed Product', 'Added to Cart'] });

    await ingestCatalog(rt.db.pool, s.id, [shirt(88)]);
    await triggers();
    assert.deepEqual((await runsOf(flowId)).map((r) => r.email), ['carter@example.com', 'viewer@example.com']);
    assert.equal((await runsOf(flowId))[0]!.context.priceDrop && ((await runsOf(flowId))[0]!.context.priceDrop as { seenPrice: number }).seenPrice, 100);
    await tick();
    const msgs = await messagesOf(flowId);
    assert.deepEqual(msgs.map((m) => [m.recipient, m.status]), [['carter@example.com', 'queued'], ['viewer@example.com', 'queued']]);
    assert.equal(msgs[1]!.subject, 'Now 88: Linen Shirt');
    assert.match(msgs[1]!.html!, /down from 100 when you looked/);

    // Further down in the same drop: only the one who now meets the share enters (95 → 80).
    await ingestCatalog(rt.db.pool, s.id, [shirt(80)]);
    await triggers();
    assert.deepEqual((await runsOf(flowId)).map((r) => r.email), ['carter@example.com', 'cheap@example.com', 'viewer@example.com']);

    // Back up, then down again: a new drop, and each qualifying shopper enters once more.
    await ingestCatalog(rt.db.pool, s.id, [shirt(100)]);
    await ingestCatalog(rt.db.pool, s.id, [shirt(85)]);
    await ingestCatalog(rt.db.pool, s.id, [shirt(85)]);
    await triggers();
    const runs = await runsOf(flowId);
    assert.equal(runs.length, 6);
    assert.equal(new Set(runs.map((r) => r.key)).size, 6);
  });

  test('the price is read again before the message: back up skips with that reason, counted in the report', async () => {
    const s = await addStore('recheck', 'bigcommerce');
    await ingestCatalog(rt.db.pool, s.id, [shirt(50)]);
    await ingestEvents(rt.db.pool, s.id, [ev('a@example.com', 'Started Checkout', 'a1', 1, 50), ev('b@example.com', 'Viewed Product', 'b1', 1, 50)]);
    const flowId = await createFlow(s.auth, { minAmount: 5, metrics: ['Started Checkout', 'Viewed Product'] });
    await ingestCatalog(rt.db.pool, s.id, [shirt(40)]);
    await triggers();
    // Partly back up: 48 is no longer 5 below what either saw.
    await ingestCatalog(rt.db.pool, s.id, [shirt(48)]);
    await tick();
    assert.deepEqual((await messagesOf(flowId)).map((m) => [m.status, m.reason]), [['skipped', 'price back up'], ['skipped', 'price back up']]);
    const report = (await request(app).get(`/api/v1/flows/${flowId}/report`).set(s.auth)).body;
    assert.equal(report.entered, 2);
    assert.equal(report.sent, 0);
    assert.deepEqual(report.skipped, { 'price back up': 2 });
  });

  test('variant level compares the variant price with what shoppers of that variant saw', async () => {
    const s = await addStore('variant-drop', 'shopify');
    await ingestCatalog(rt.db.pool, s.id, [shirt(30, [['s', 30, 'Small'], ['m', 30, 'Medium']])]);
    await ingestEvents(rt.db.pool, s.id, [
      ev('small@example.com', 'Viewed Product', 'vs', 1, 30, 's'),
      ev('medium@example.com', 'Viewed Product', 'vm', 1, 30, 'm'),
    ]);
    const flowId = await createFlow(s.auth, { level: 'variant', minPercent: 20, metrics: ['Viewed Product'] });
    await ingestCatalog(rt.db.pool, s.id, [shirt(30, [['s', 24, 'Small'], ['m', 30, 'Medium']])]);
    await triggers();
    assert.deepEqual((await runsOf(flowId)).map((r) => r.email), ['small@example.com']);
    await tick();
    const [msg] = await messagesOf(flowId);
    assert.equal(msg!.subject, 'Now 24: Linen Shirt');
    assert.match(msg!.html!, /Linen Shirt \(Small\)/);
    assert.match(msg!.html!, /shirt\?variant=s/);
  });

  test('bad price-drop settings are refused with the field named and nothing saved', async () => {
    const s = await addStore('bad-drop', 'wix');
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ type: 'price-drop', level: 'product', metrics: ['Viewed Product'] }, /trigger\.minPercent/],
      [{ type: 'price-drop', level: 'product', minPercent: 0, metrics: ['Viewed Product'] }, /trigger\.minPercent/],
      [{ type: 'price-drop', level: 'product', minPercent: 120, metrics: ['Viewed Product'] }, /trigger\.minPercent/],
      [{ type: 'price-drop', level: 'product', minAmount: -1, metrics: ['Viewed Product'] }, /trigger\.minAmount/],
      [{ type: 'price-drop', level: 'product', minPercent: 10, metrics: ['Placed Order'] }, /Placed Order cannot trigger/],
      [{ type: 'price-drop', level: 'product', minPercent: 10, metrics: ['Viewed Product'], excludePurchasedWithinDays: 3 }, /trigger\.excludePurchasedWithinDays/],
    ];
    for (const [trigger, expected] of cases) {
      const res = await request(app).post('/api/v1/flows').set(s.auth).send({ name: 'Drop', trigger, start: 'e', steps: [{ id: 'e', type: 'email', subject: 'x', html: 'y' }] });
      assert.equal(res.status, 422, JSON.stringify(trigger));
      assert.match(JSON.stringify(res.body.errors), expected);
    }
    assert.equal((await request(app).get('/api/v1/flows').set(s.auth)).body.data.length, 0);
  });
});
