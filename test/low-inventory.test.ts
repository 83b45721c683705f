// The low-inventory flow (DESIGN §5) on real Postgres: detection in the ingest path, the
// set-based audience, once per fall, the stock re-read before sending, and the capability table.
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
import type { ProductInput } from '../src/model/catalog.ts';
import type { EventInput } from '../src/model/event.ts';
import type { ExternalProductId, ExternalVariantId, StoreId } from '../src/model/ids.ts';
import type { Platform } from '../src/model/store.ts';

const DAY = 24 * 3_600_000;

describe('low-inventory flow', () => {
  let rt: TestRuntime;
  let app: ReturnType<typeof createApp>;
  const stores: Record<string, { id: StoreId; auth: { Authorization: string } }> = {};
  const tick = (now = new Date()) => runFlowTick({ pool: rt.db.pool, config: rt.config, secrets: rt.secrets, logger: rt.logger }, { now });
  const triggers = () => processTriggerQueue(rt.db.pool, { now: new Date() });
  const item = (qty: number, variants: Array<[string, number]> = [], updatedAt?: Date): ProductInput => ({
    externalId: 'shirt' as ExternalProductId,
    title: 'Linen Shirt',
    url: 'https://shop.example.com/shirt',
    imageUrl: 'https://shop.example.com/shirt.jpg',
    price: 59,
    inventoryTracking: variants.length ? 'variant' : 'product',
    inventoryQuantity: variants.length ? null : qty,
    variants: variants.map(([id, q]) => ({ externalId: id as ExternalVariantId, inventoryQuantity: q })),
    ...(updatedAt ? { updatedAt } : {}),
  });
  const ev = (email: string, metric: string, id: string, daysAgo: number, variant: string | null = null): EventInput => ({
    metric,
    profile: { email },
    time: new Date(Date.now() - daysAgo * DAY),
    value: 59,
    properties: {},
    items: [{ productExternalId: 'shirt' as ExternalProductId, variantExternalId: variant as ExternalVariantId | null, quantity: 1, price: 59 }],
    uniqueId: id,
  });
  const runsOf = async (flowId: string) =>
    (await rt.db.pool.query<{ key: string; email: string }>('SELECT r.key, p.email FROM flow_runs r JOIN profiles p ON p.id = r.profile_id WHERE r.flow_id = $1 ORDER BY r.key', [flowId])).rows;
  const messagesOf = async (flowId: string) =>
    (await rt.db.pool.query<{ status: string; reason: string | null; recipient: string; subject: string | null; html: string | null }>(
      'SELECT status, reason, recipient, subject, html FROM messages WHERE flow_id = $1 ORDER BY created_at', [flowId])).rows;
  const addStore = async (name: string, platform: Platform) => {
    const created = await createStore(rt.db.pool, rt.secrets, { platform, domain: `${name}.example.com` });
    stores[name] = { id: created.store.id, auth: { Authorization: `Bearer ${created.privateKey}` } };
    return stores[name]!;
  };
  const flowBody = (trigger: Record<string, unknown>) => ({ preset: 'low-inventory', status: 'live', trigger });

  before(async () => {
    // Shopify stores exist only where the app's Shopify credentials are configured.
    rt = await testRuntime({ env: { SHOPIFY_API_KEY: 'test-key', SHOPIFY_API_SECRET: 'test-secret' } });
    app = createApp(rt);
  });
  after(async () => rt.dispose());

  test('a fall through the threshold reaches viewers, not buyers, the unsubscribed or stale viewers; once per fall', async () => {
    const s = await addStore('shopify-shop', 'shopify');
    await ingestCatalog(rt.db.pool, s.id, [item(10)]);
    await ingestProfiles(rt.db.pool, s.id, [
      { email: 'viewer@example.com', firstName: 'Vi', consent: { email: 'subscribed' } },
      { email: 'buyer@example.com', consent: { email: 'subscribed' } },
      { email: 'old@example.com', consent: { email: 'subscribed' } },
      { email: 'unsub@example.com', consent: { email: 'unsubscribed' } },
    ]);
    await ingestEvents(rt.db.pool, s.id, [
      ev('viewer@example.com', 'Viewed Product', 'v1', 2),
      ev('viewer@example.com', 'Viewed Product', 'v1b', 1),
      ev('buyer@example.com', 'Viewed Product', 'v2', 3),
      ev('buyer@example.com', 'Ordered Product', 'o2', 2),
      ev('old@example.com', 'Viewed Product', 'v3', 40),
      ev('unsub@example.com', 'Viewed Product', 'v4', 1),
    ]);
    await triggers();
    const res = await request(app).post('/api/v1/flows').set(s.auth).send(flowBody({ level: 'product', threshold: 5, metrics: ['Viewed Product'], lookbackDays: 30, excludePurchasedWithinDays: 7 }));
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const flowId = res.body.id as string;

    const preview = await request(app).get(`/api/v1/flows/${flowId}/audience`).query({ productId: 'shirt' }).set(s.auth);
    assert.equal(preview.status, 200);
    assert.equal(preview.body.audience, 1);

    await ingestCatalog(rt.db.pool, s.id, [item(4)]);
    await triggers();
    assert.deepEqual((await runsOf(flowId)).map((r) => r.email), ['viewer@example.com']);
    await tick();
    const [msg] = await messagesOf(flowId);
    assert.equal(msg!.status, 'queued');
    assert.equal(msg!.recipient, 'viewer@example.com');
    assert.equal(msg!.subject, 'Almost gone: Linen Shirt');
    assert.match(msg!.html!, /Only 4 left/);
    assert.match(msg!.html!, /shirt\.jpg/);

    // Redelivered, further down but already low, and an out-of-order stale update: no new fall.
    await ingestCatalog(rt.db.pool, s.id, [item(4)]);
    await ingestCatalog(rt.db.pool, s.id, [item(3)]);
    await ingestCatalog(rt.db.pool, s.id, [item(1, [], new Date(Date.now() - DAY))]);
    await triggers();
    assert.equal((await runsOf(flowId)).length, 1);

    // Restocked above the threshold re-arms; the next fall enters again under a new key.
    await ingestCatalog(rt.db.pool, s.id, [item(9)]);
    await ingestCatalog(rt.db.pool, s.id, [item(2)]);
    await triggers();
    const runs = await runsOf(flowId);
    assert.equal(runs.length, 2);
    assert.notEqual(runs[0]!.key, runs[1]!.key);
  });

  test('stock is read again before the message: sold out and restocked skip with that reason', async () => {
    const s = await addStore('recheck', 'bigcommerce');
    await ingestCatalog(rt.db.pool, s.id, [item(10)]);
    await ingestProfiles(rt.db.pool, s.id, [{ email: 'a@example.com' }, { email: 'b@example.com' }]);
    await ingestEvents(rt.db.pool, s.id, [ev('a@example.com', 'Started Checkout', 'c1', 1)]);
    const first = await request(app).post('/api/v1/flows').set(s.auth).send(flowBody({ level: 'product', threshold: 5, metrics: ['Started Checkout'] }));
    assert.equal(first.status, 201, JSON.stringify(first.body));
    await ingestCatalog(rt.db.pool, s.id, [item(3)]);
    await triggers();
    await ingestCatalog(rt.db.pool, s.id, [item(0)]);
    await tick();
    assert.deepEqual((await messagesOf(first.body.id)).map((m) => [m.status, m.reason]), [['skipped', 'sold out']]);

    await ingestEvents(rt.db.pool, s.id, [ev('b@example.com', 'Started Checkout', 'c2', 1)]);
    await ingestCatalog(rt.db.pool, s.id, [item(10)]);
    await ingestCatalog(rt.db.pool, s.id, [item(4)]);
    await triggers();
    await ingestCatalog(rt.db.pool, s.id, [item(30)]);
    await tick();
    const reasons = (await messagesOf(first.body.id)).map((m) => m.reason);
    assert.ok(reasons.includes('restocked'), JSON.stringify(reasons));
  });

  test('a changed threshold applies only to inventory changes after the change', async () => {
    const s = await addStore('threshold', 'shopify');
    await ingestCatalog(rt.db.pool, s.id, [item(10)]);
    await ingestEvents(rt.db.pool, s.id, [ev('t@example.com', 'Viewed Product', 't1', 1)]);
    const body = flowBody({ level: 'product', threshold: 5, metrics: ['Viewed Product'] });
    const created = await request(app).post('/api/v1/flows').set(s.auth).send(body);
    // The fall happens under threshold 5; the merchant lowers it to 2 before the worker gets to it.
    await ingestCatalog(rt.db.pool, s.id, [item(4)]);
    const put = await request(app).put(`/api/v1/flows/${created.body.id}`).set(s.auth).send(flowBody({ level: 'product', threshold: 2, metrics: ['Viewed Product'] }));
    assert.equal(put.status, 200);
    await triggers();
    assert.equal((await runsOf(created.body.id)).length, 1, 'judged by the threshold in force at the fall');
    // After the change: 4 → 3 is no fall through 2.
    await ingestCatalog(rt.db.pool, s.id, [item(9)]);
    await ingestCatalog(rt.db.pool, s.id, [item(3)]);
    await triggers();
    assert.equal((await runsOf(created.body.id)).length, 1);
  });

  test('variant level uses the variant quantity and the shoppers who checked out with that variant', async () => {
    const s = await addStore('variants', 'shopify');
    await ingestCatalog(rt.db.pool, s.id, [item(0, [['shirt-s', 10], ['shirt-m', 10]])]);
    await ingestEvents(rt.db.pool, s.id, [
      ev('small@example.com', 'Started Checkout', 's1', 1, 'shirt-s'),
      ev('medium@example.com', 'Started Checkout', 'm1', 1, 'shirt-m'),
    ]);
    const viewed = await request(app).post('/api/v1/flows').set(s.auth).send(flowBody({ level: 'variant', threshold: 3, metrics: ['Viewed Product'] }));
    assert.equal(viewed.status, 422, 'Shopify variant level allows Started Checkout only');
    const created = await request(app).post('/api/v1/flows').set(s.auth).send(flowBody({ level: 'variant', threshold: 3, metrics: ['Started Checkout'] }));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await ingestCatalog(rt.db.pool, s.id, [item(0, [['shirt-s', 2], ['shirt-m', 10]])]);
    await triggers();
    assert.deepEqual((await runsOf(created.body.id)).map((r) => r.email), ['small@example.com']);
    await tick();
    assert.match((await messagesOf(created.body.id))[0]!.html!, /Only 2 left/);
  });

  test('the exclusion window holds at its boundary: ordered 6 days ago is excluded, 8 days ago is not', async () => {
    const s = await addStore('boundary', 'bigcommerce');
    await ingestCatalog(rt.db.pool, s.id, [item(10)]);
    await ingestEvents(rt.db.pool, s.id, [
      ev('six@example.com', 'Viewed Product', 'b-v6', 1),
      ev('six@example.com', 'Ordered Product', 'b-o6', 6),
      ev('eight@example.com', 'Viewed Product', 'b-v8', 1),
      ev('eight@example.com', 'Ordered Product', 'b-o8', 8),
    ]);
    const created = await request(app).post('/api/v1/flows').set(s.auth).send(flowBody({ level: 'product', threshold: 5, metrics: ['Viewed Product'], excludePurchasedWithinDays: 7 }));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await ingestCatalog(rt.db.pool, s.id, [item(5)]);
    await triggers();
    assert.deepEqual((await runsOf(created.body.id)).map((r) => r.email), ['eight@example.com']);
  });

  test('bad trigger settings are refused with the field named and nothing saved', async () => {
    const s = await addStore('bad-settings', 'shopify');
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ level: 'product', threshold: 0, metrics: ['Viewed Product'] }, /trigger\.threshold/],
      [{ level: 'product', threshold: 2.5, metrics: ['Viewed Product'] }, /trigger\.threshold/],
      [{ level: 'product', threshold: 3, metrics: ['Viewed Product'], excludePurchasedWithinDays: 10 }, /trigger\.excludePurchasedWithinDays/],
      [{ level: 'shelf', threshold: 3, metrics: ['Viewed Product'] }, /trigger\.level/],
      [{ level: 'product', threshold: 3, metrics: ['Placed Order'] }, /Placed Order cannot trigger/],
    ];
    for (const [trigger, expected] of cases) {
      const res = await request(app).post('/api/v1/flows').set(s.auth).send(flowBody(trigger));
      assert.equal(res.status, 422, JSON.stringify(trigger));
      assert.match(JSON.stringify(res.body.errors), expected);
    }
    assert.equal((await request(app).get('/api/v1/flows').set(s.auth)).body.data.length, 0);
  });

  test('the capability table decides what each platform may use', async () => {
    const bc = await addStore('bc', 'bigcommerce');
    const wix = await addStore('wix', 'wix');
    const post = (st: { auth: { Authorization: string } }, trigger: Record<string, unknown>) => request(app).post('/api/v1/flows').set(st.auth).send(flowBody(trigger));
    assert.equal((await post(bc, { level: 'variant', threshold: 3, metrics: ['Started Checkout'] })).status, 422);
    assert.equal((await post(bc, { level: 'product', threshold: 3, metrics: ['Viewed Product', 'Started Checkout'] })).status, 201);
    const wixViewed = await post(wix, { level: 'product', threshold: 3, metrics: ['Viewed Product'] });
    assert.equal(wixViewed.status, 422);
    assert.match(JSON.stringify(wixViewed.body.errors), /Viewed Product cannot trigger/);
    assert.equal((await post(wix, { level: 'product', threshold: 3, metrics: ['Started Checkout'] })).status, 201);
  });

  test('a custom catalog stays off until support enables it, then allows Added to Cart at either level', async () => {
    const c = await addStore('custom-cat', 'custom');
    const blocked = await request(app).post('/api/v1/flows').set(c.auth).send(flowBody({ level: 'variant', threshold: 3, metrics: ['Added to Cart'] }));
    assert.equal(blocked.status, 422);
    assert.match(blocked.body.detail, /until support/);
    await rt.db.pool.query('UPDATE stores SET custom_low_inventory_enabled = true WHERE id = $1', [c.id]);
    const allowed = await request(app).post('/api/v1/flows').set(c.auth).send(flowBody({ level: 'variant', threshold: 3, metrics: ['Added to Cart'] }));
    assert.equal(allowed.status, 201, JSON.stringify(allowed.body));
  });
});
