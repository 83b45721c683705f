// Back in stock with fair release on real Postgres: requests through the API and the storefront
// form, the minimum, N per unit oldest first, recounts, sold out again, requested quantities,
// expiry, redelivered restocks and a crashed worker, and the report's numbers.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { createStore } from '../src/stores/create-store.ts';
import { createApp } from '../src/web/app.ts';
import { ingestCatalog } from '../src/ingest/ingest-catalog.ts';
import { requestBackInStock } from '../src/ingest/back-in-stock.ts';
import { processTriggerQueue } from '../src/flows/enter-flows.ts';
import { enterBackInStock, runBackInStockRecounts } from '../src/flows/back-in-stock-trigger.ts';
import { runFlowTick } from '../src/flows/tick.ts';
import { withTransaction } from '../src/db/pool.ts';
import { takeTriggers } from '../src/db/repositories/flow-trigger-queue.ts';
import { claimDueRuns } from '../src/db/repositories/flow-runs.ts';
import type { ProductInput } from '../src/model/catalog.ts';
import type { ExternalProductId, ExternalVariantId, StoreId } from '../src/model/ids.ts';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;

describe('back-in-stock flow', () => {
  let rt: TestRuntime;
  let app: ReturnType<typeof createApp>;
  // Ahead of the wall clock: every stock change comes after the flow was published.
  let clock = Date.now() + 60 * MIN;
  const tick = (now = new Date(clock)) => runFlowTick({ pool: rt.db.pool, config: rt.config, secrets: rt.secrets, logger: rt.logger }, { now });
  const triggers = () => processTriggerQueue(rt.db.pool, { now: new Date(clock) });
  /** One product with sizes; each call is a newer catalog update. */
  const boots = (sizes: Record<string, number>): ProductInput => ({
    externalId: 'boot' as ExternalProductId,
    title: 'Trail Boot',
    url: 'https://shop.example.com/products/boot',
    imageUrl: null,
    price: 120,
    inventoryTracking: 'variant',
    inventoryQuantity: null,
    variants: Object.entries(sizes).map(([id, q]) => ({ externalId: id as ExternalVariantId, title: `Size ${id.split('-')[1]}`, inventoryQuantity: q })),
    updatedAt: new Date((clock += 1000)),
  });
  let stock: Record<string, number> = { 'boot-42': 0, 'boot-43': 0, 'boot-44': 0, 'boot-45': 0 };
  const setStock = async (storeId: StoreId, changes: Record<string, number>) => {
    stock = { ...stock, ...changes };
    await ingestCatalog(rt.db.pool, storeId, [boots(stock)], { now: new Date(clock) });
  };
  const ask = (storeId: StoreId, email: string, variant: string, at: number, quantity = 1) =>
    requestBackInStock(rt.db.pool, storeId, { profile: { email }, variantExternalId: variant, channels: ['email'], quantity, now: new Date(at) });
  const notified = async (flowId: string) =>
    (await rt.db.pool.query<{ email: string; key: string }>(
      `SELECT p.email, r.key FROM flow_runs r JOIN profiles p ON p.store_id = r.store_id AND p.id = r.profile_id WHERE r.flow_id = $1 ORDER BY p.email`, [flowId])).rows;
  const messagesOf = async (flowId: string) =>
    (await rt.db.pool.query<{ status: string; reason: string | null; recipient: string; subject: string | null; html: string | null }>(
      'SELECT status, reason, recipient, subject, html FROM messages WHERE flow_id = $1 ORDER BY recipient', [flowId])).rows;
  const email = (variant: string, i: number) => `${variant}-${String(i).padStart(2, '0')}@example.com`;

  let s: { id: StoreId; auth: { Authorization: string }; publicKey: string };
  let flowId: string;

  before(async () => {
    rt = await testRuntime({ env: { SHOPIFY_API_KEY: 'test-key', SHOPIFY_API_SECRET: 'test-secret' } });
    app = createApp(rt);
    const created = await createStore(rt.db.pool, rt.secrets, { platform: 'shopify', domain: 'boots.example.com' });
    s = { id: created.store.id, auth: { Authorization: `Bearer ${created.privateKey}` }, publicKey: created.publicKey };
    await setStock(s.id, {});
    await triggers();
    const res = await request(app).post('/api/v1/flows').set(s.auth).send({ preset: 'back-in-stock', status: 'live', trigger: { type: 'back-in-stock', minimum: 5, perUnit: 1, recountMinutes: 60 } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    flowId = res.body.id as string;
  });
  after(async () => rt.dispose());

  test('the API and the storefront form record requests; the form says nothing about the person', async () => {
    const api = await request(app).post('/api/v1/back-in-stock').set(s.auth).send({ profile: { email: 'api@example.com' }, variantId: 'boot-45', quantity: 2 });
    assert.equal(api.status, 202, JSON.stringify(api.body));
    const unknown = await request(app).post('/api/v1/back-in-stock').set(s.auth).send({ profile: { email: 'api@example.com' }, variantId: 'nope' });
    assert.equal(unknown.status, 404);
    assert.match(unknown.headers['content-type']!, /problem\+json/);

    const form = (body: Record<string, unknown>) => request(app).post('/api/v1/back-in-stock/subscribe').set('Content-Type', 'text/plain').send(JSON.stringify(body));
    const first = await form({ publicKey: s.publicKey, email: 'form@example.com', variantId: 'boot-45' });
    const again = await form({ publicKey: s.publicKey, email: 'form@example.com', variantId: 'boot-45', quantity: 3 });
    const fresh = await form({ publicKey: s.publicKey, email: 'someone-new@example.com', variantId: 'boot-45' });
    assert.deepEqual([first.status, again.status, fresh.status], [202, 202, 202]);
    assert.deepEqual(first.body, again.body);
    assert.deepEqual(first.body, fresh.body);
    assert.equal(first.headers['access-control-allow-origin'], '*');
    // A platform customer id is not something a public form may claim.
    assert.equal((await form({ publicKey: s.publicKey, externalId: 'cust-1', variantId: 'boot-45' })).status, 422);
    assert.equal((await form({ publicKey: 'wrong', email: 'x@example.com', variantId: 'boot-45' })).status, 401);
    // A theme block posts a plain HTML form.
    const block = await request(app).post('/api/v1/back-in-stock/subscribe').type('form').send({ publicKey: s.publicKey, email: 'block@example.com', variantId: 'boot-45', quantity: '1', source: 'theme-block' });
    assert.equal(block.status, 202, JSON.stringify(block.body));
    // Ten a minute from one address: the eleventh is turned away.
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await form({ publicKey: s.publicKey, email: `flood${i}@example.com`, variantId: 'boot-45' })).status);
    assert.deepEqual(statuses, [202, 202, 202, 202, 429]);
    await rt.db.pool.query(`DELETE FROM back_in_stock_requests r USING profiles p WHERE p.id = r.profile_id AND p.email LIKE 'flood%'`);
    const rows = (await rt.db.pool.query<{ email: string; quantity: number; source: string }>(
      `SELECT p.email, r.quantity, r.source FROM back_in_stock_requests r JOIN profiles p ON p.id = r.profile_id WHERE r.store_id = $1 ORDER BY p.email`, [s.id])).rows;
    assert.deepEqual(rows, [
      { email: 'api@example.com', quantity: 2, source: 'api' },
      { email: 'block@example.com', quantity: 1, source: 'theme-block' },
      { email: 'form@example.com', quantity: 3, source: 'storefront' },
      { email: 'someone-new@example.com', quantity: 1, source: 'storefront' },
    ]);
    // The window is the store's setting, in days.
    const put = await request(app).put('/api/v1/back-in-stock/settings').set(s.auth).send({ requestDays: 30 });
    assert.equal(put.status, 200);
    assert.deepEqual((await request(app).get('/api/v1/back-in-stock/settings').set(s.auth)).body, { requestDays: 30 });
    assert.equal((await request(app).put('/api/v1/back-in-stock/settings').set(s.auth).send({ requestDays: 0 })).status, 422);
    await request(app).put('/api/v1/back-in-stock/settings').set(s.auth).send({ requestDays: 90 });
  });

  test('one unit under a minimum of 5 does not fire; 10 units release the 10 oldest; recounts, sells out, and expiry', async () => {
    const base = clock - 30 * DAY;
    // An expired request is the oldest of all: it must never be told.
    await ask(s.id, 'expired@example.com', 'boot-42', clock - 100 * DAY);
    for (let i = 1; i <= 15; i++) await ask(s.id, email('boot-42', i), 'boot-42', base + i * MIN);

    await setStock(s.id, { 'boot-42': 1 });
    await triggers();
    assert.equal((await notified(flowId)).length, 0, 'a returned unit is below the minimum');

    await setStock(s.id, { 'boot-42': 10 });
    await triggers();
    const first = await notified(flowId);
    assert.deepEqual(first.map((r) => r.email), Array.from({ length: 10 }, (_, i) => email('boot-42', i + 1)));

    // The messages name the shopper's variant.
    await tick();
    const msgs = await messagesOf(flowId);
    assert.equal(msgs.length, 10);
    assert.ok(msgs.every((m) => m.status === 'queued'));
    assert.equal(msgs[0]!.subject, 'Back in stock: Trail Boot (Size 42)');
    assert.match(msgs[0]!.html!, /10 available right now/);

    // Sales bring it to 3; at the next recount the next 3 are told, not before.
    await setStock(s.id, { 'boot-42': 3 });
    await triggers();
    await runBackInStockRecounts(rt.db.pool, new Date(clock + 30 * MIN));
    assert.equal((await notified(flowId)).length, 10, 'the interval has not passed');
    clock += 61 * MIN;
    await runBackInStockRecounts(rt.db.pool, new Date(clock));
    assert.deepEqual((await notified(flowId)).slice(10).map((r) => r.email), [11, 12, 13].map((i) => email('boot-42', i)));

    // Sold out before these three got their message: skipped with the reason, and no more batches.
    await setStock(s.id, { 'boot-42': 0 });
    await triggers();
    await tick(new Date(clock));
    const skipped = (await messagesOf(flowId)).filter((m) => m.status === 'skipped');
    assert.deepEqual(skipped.map((m) => m.reason), ['sold out', 'sold out', 'sold out']);
    clock += 2 * 60 * MIN;
    await runBackInStockRecounts(rt.db.pool, new Date(clock));
    assert.equal((await notified(flowId)).length, 13);
    const ended = (await rt.db.pool.query<{ end_reason: string; released: number; batches: number }>(
      'SELECT end_reason, released, batches FROM back_in_stock_episodes WHERE flow_id = $1', [flowId])).rows;
    assert.deepEqual(ended, [{ end_reason: 'sold out', released: 13, batches: 2 }]);

    // A new restock is a new episode: the two still waiting are told; the expired one never.
    await setStock(s.id, { 'boot-42': 6 });
    await triggers();
    const all = (await notified(flowId)).map((r) => r.email);
    assert.equal(all.length, 15);
    assert.ok(!all.includes('expired@example.com'));

    const report = await request(app).get(`/api/v1/flows/${flowId}/report`).set(s.auth);
    assert.equal(report.status, 200);
    assert.equal(report.body.backInStock.notifiedByFlow, 15);
    assert.equal(report.body.backInStock.expired, 1);
  });

  test('a request for 3 takes 3 units of the budget, oldest first', async () => {
    await ask(s.id, 'q-a@example.com', 'boot-43', clock - 4 * DAY, 1);
    await ask(s.id, 'q-b@example.com', 'boot-43', clock - 3 * DAY, 3);
    await ask(s.id, 'q-c@example.com', 'boot-43', clock - 2 * DAY, 1);
    await ask(s.id, 'q-d@example.com', 'boot-43', clock - 1 * DAY, 2);
    await setStock(s.id, { 'boot-43': 5 });
    await triggers();
    const told = (await notified(flowId)).filter((r) => r.email.startsWith('q-')).map((r) => r.email);
    assert.deepEqual(told, ['q-a@example.com', 'q-b@example.com', 'q-c@example.com']);
  });

  test('a product whose stock is kept per product: each waiting variant is released, re-checked at the product, and named', async () => {
    const scarf = (q: number): ProductInput => ({
      externalId: 'scarf' as ExternalProductId, title: 'Wool Scarf', url: 'https://shop.example.com/products/scarf', imageUrl: null, price: 30,
      inventoryTracking: 'product', inventoryQuantity: q,
      variants: [{ externalId: 'scarf-red' as ExternalVariantId, title: 'Red', inventoryQuantity: null }, { externalId: 'scarf-blue' as ExternalVariantId, title: 'Blue', inventoryQuantity: null }],
      updatedAt: new Date((clock += 1000)),
    });
    await ingestCatalog(rt.db.pool, s.id, [scarf(0)], { now: new Date(clock) });
    await triggers();
    await ask(s.id, 'scarf-red@example.com', 'scarf-red', clock - DAY);
    await ingestCatalog(rt.db.pool, s.id, [scarf(6)], { now: new Date(clock) });
    await triggers();
    assert.deepEqual((await notified(flowId)).filter((r) => r.email.startsWith('scarf')).map((r) => r.email), ['scarf-red@example.com']);
    await tick(new Date(clock));
    const [msg] = (await messagesOf(flowId)).filter((m) => m.recipient.startsWith('scarf'));
    assert.equal(msg!.status, 'queued');
    assert.equal(msg!.subject, 'Back in stock: Wool Scarf (Red)');
    assert.match(msg!.html!, /6 available right now/);
  });

  test('a custom catalog gets the flow only once support has enabled its stock data, and is told so', async () => {
    const custom = await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: 'custom-boots.example.com' });
    const res = await request(app).post('/api/v1/flows').set({ Authorization: `Bearer ${custom.privateKey}` }).send({ preset: 'back-in-stock', status: 'live' });
    assert.equal(res.status, 422);
    assert.match(JSON.stringify(res.body), /back in stock uses the same stock data: the low-inventory trigger for a custom catalog is off until support/);
  });

  test('a redelivered restock and a worker that dies mid-batch tell everyone once', async () => {
    for (let i = 1; i <= 8; i++) await ask(s.id, email('boot-44', i), 'boot-44', clock - DAY + i * MIN);
    await setStock(s.id, { 'boot-44': 6 });
    // The worker takes the restock, releases the batch and dies before committing.
    await assert.rejects(withTransaction(rt.db.pool, async (tx) => {
      const taken = await takeTriggers(tx, 100);
      await enterBackInStock(tx, s.id, taken.filter((t) => t.kind === 'inventory').map((t) => t.observationId!), new Date(clock));
      throw new Error('worker died');
    }), /worker died/);
    const of44 = async () => (await notified(flowId)).filter((r) => r.email.startsWith('boot-44'));
    assert.equal((await of44()).length, 0, 'nothing of the dead batch was kept');
    await triggers();
    assert.equal((await of44()).length, 6);

    // The same restock queued again (a redelivery) and the same catalog update again.
    const obs = (await rt.db.pool.query<{ id: string }>(
      `SELECT o.id::text AS id FROM inventory_observations o JOIN variants v ON v.id = o.variant_id WHERE v.external_id = 'boot-44' AND o.new_quantity = 6`)).rows[0]!.id;
    await rt.db.pool.query(`INSERT INTO flow_trigger_queue (store_id, kind, observation_id, at) VALUES ($1, 'inventory', $2, now())`, [s.id, obs]);
    await setStock(s.id, { 'boot-44': 6 });
    await triggers();
    await runBackInStockRecounts(rt.db.pool, new Date(clock));
    assert.equal((await of44()).length, 6);

    // A tick worker claims half of the runs and dies; its lease lapses and the next tick sends each once.
    await claimDueRuns(rt.db.pool, new Date(clock), 3, 60_000, randomUUID());
    await tick(new Date(clock));
    clock += 2 * MIN;
    await tick(new Date(clock));
    await tick(new Date(clock));
    const sent = (await messagesOf(flowId)).filter((m) => m.recipient.startsWith('boot-44'));
    assert.equal(sent.length, 6);
    assert.equal(new Set(sent.map((m) => m.recipient)).size, 6);
  });
});
