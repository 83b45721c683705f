// The seeds' remaining flows: abandoned cart (distinct from abandoned checkout), the
// anniversary of a profile's first purchase, and a VIP segment by net spend.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { createStore } from '../src/stores/create-store.ts';
import { createApp } from '../src/web/app.ts';
import { ingestCatalog } from '../src/ingest/ingest-catalog.ts';
import { ingestEvents } from '../src/ingest/ingest-events.ts';
import { processTriggerQueue, runDateTriggers } from '../src/flows/enter-flows.ts';
import { runFlowTick } from '../src/flows/tick.ts';
import { runTriggerJob } from '../src/jobs/flow-jobs.ts';
import type { EventInput } from '../src/model/event.ts';
import type { ExternalProductId, StoreId } from '../src/model/ids.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe("the seeds' remaining flows", () => {
  let rt: TestRuntime;
  let app: ReturnType<typeof createApp>;
  let storeId: StoreId;
  let auth: { Authorization: string };
  const T0 = new Date(Math.floor(Date.now() / 60_000) * 60_000);
  const at = (ms: number) => new Date(T0.getTime() + ms);
  const tick = (now: Date) => runFlowTick({ pool: rt.db.pool, config: rt.config, secrets: rt.secrets, logger: rt.logger }, { now });
  const event = (email: string, metric: string, uniqueId: string, time: Date, extra: Partial<EventInput> = {}): EventInput => ({
    metric, profile: { email }, time, value: null, properties: {}, items: [], uniqueId, ...extra,
  });
  const cart = (email: string, id: string, time = T0) =>
    event(email, 'Added to Cart', id, time, { value: 40, items: [{ productExternalId: 'mug' as ExternalProductId, variantExternalId: null, quantity: 1, price: 40 }] });
  const order = (email: string, id: string, time: Date, value: number, orderId = id) => event(email, 'Placed Order', id, time, { value, properties: { OrderID: orderId } });
  const messagesFor = async (flowId: string) =>
    (await rt.db.pool.query<{ status: string; reason: string | null; recipient: string; subject: string | null; html: string | null }>(
      'SELECT status, reason, recipient, subject, html FROM messages WHERE flow_id = $1 ORDER BY recipient', [flowId])).rows;
  const createFlow = async (body: object) => {
    const res = await request(app).post('/api/v1/flows').set(auth).send(body);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.id as string;
  };

  before(async () => {
    rt = await testRuntime();
    app = createApp(rt);
    const created = await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: 'seeds.example.com' });
    storeId = created.store.id;
    auth = { Authorization: `Bearer ${created.privateKey}` };
    await ingestCatalog(rt.db.pool, storeId, [
      { externalId: 'mug' as ExternalProductId, title: 'Stoneware Mug', url: 'https://seeds.example.com/mug', imageUrl: null, price: 40, inventoryTracking: 'product', inventoryQuantity: 10, variants: [] },
    ]);
  });
  after(async () => rt.dispose());

  test('abandoned cart: Added to Cart with no Started Checkout or Placed Order after it, counted from the cart event', async () => {
    const flowId = await createFlow({ preset: 'abandoned-cart', status: 'live' });
    const checkoutFlow = await createFlow({ preset: 'abandoned-checkout', status: 'live' });
    await ingestEvents(rt.db.pool, storeId, [
      cart('ada@example.com', 'cart-ada'),
      cart('ben@example.com', 'cart-ben'),
      cart('cy@example.com', 'cart-cy'),
      // Dee's checkout came before this cart: it does not count as "after it".
      event('dee@example.com', 'Started Checkout', 'chk-dee-before', at(-HOUR)),
      cart('dee@example.com', 'cart-dee'),
    ]);
    assert.equal((await processTriggerQueue(rt.db.pool, { now: at(1000) })).entered, 4 + 1, 'four carts, and Dee’s checkout in its own flow');
    await ingestEvents(rt.db.pool, storeId, [
      event('ben@example.com', 'Started Checkout', 'chk-ben', at(HOUR)),
      // Half a second after the cart, delivered late: still after entry.
      order('cy@example.com', 'order-cy', at(500), 40),
    ]);
    await processTriggerQueue(rt.db.pool, { now: at(HOUR + 1000) });
    await tick(at(2000));
    assert.equal((await messagesFor(flowId)).length, 0, 'nothing before the delay');
    await tick(at(2 * HOUR + 5000));
    const msgs = await messagesFor(flowId);
    assert.deepEqual(msgs.map((m) => [m.recipient, m.status]), [['ada@example.com', 'queued'], ['dee@example.com', 'queued']]);
    assert.equal(msgs[0]!.subject, 'Still in your cart: Stoneware Mug');
    const report = (await request(app).get(`/api/v1/flows/${flowId}/report`).set(auth)).body;
    assert.equal(report.entered, 4);
    assert.equal(report.runs.exited, 2);
    // Ben's checkout belongs to the abandoned-checkout flow, not this one.
    const checkoutRuns = await rt.db.pool.query('SELECT 1 FROM flow_runs WHERE flow_id = $1', [checkoutFlow]);
    assert.equal(checkoutRuns.rowCount, 2);
  });

  test('first purchase anniversary: kept at ingest as the earliest Placed Order, fires a year on, not on the day, and re-reads the date', async () => {
    const flowId = await createFlow({ preset: 'first-purchase-anniversary', status: 'live', smartSending: { enabled: false } });
    const today = new Date();
    const sameDay = (yearsAgo: number) => new Date(Date.UTC(today.getUTCFullYear() - yearsAgo, today.getUTCMonth(), today.getUTCDate(), 12));
    await ingestEvents(rt.db.pool, storeId, [
      order('annie@example.com', 'annie-2', new Date(sameDay(1).getTime() + 40 * DAY), 30),
      order('annie@example.com', 'annie-1', sameDay(1), 20),
      order('moved@example.com', 'moved-1', sameDay(1), 20),
      order('fresh@example.com', 'fresh-1', new Date(today.getTime() - HOUR), 20),
    ]);
    const { rows } = await rt.db.pool.query<{ email: string; first: Date }>(
      "SELECT email, first_purchase_at AS first FROM profiles WHERE email IN ('annie@example.com', 'fresh@example.com') ORDER BY email");
    assert.equal(rows[0]!.first.toISOString(), sameDay(1).toISOString(), 'the earliest order, though it arrived second');
    const morning = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate(), 8));
    assert.equal(await runDateTriggers(rt.db.pool, { now: morning }), 2, 'annie and moved; not fresh, whose first order is today');
    assert.equal(await runDateTriggers(rt.db.pool, { now: new Date(morning.getTime() + 600_000) }), 0, 'once a year');
    // An older order of Moved's turns up (a backfill): the anniversary is another day now.
    await ingestEvents(rt.db.pool, storeId, [order('moved@example.com', 'moved-0', new Date(sameDay(2).getTime() - 30 * DAY), 10)]);
    await tick(new Date(morning.getTime() + 2 * HOUR + 1000));
    const msgs = await messagesFor(flowId);
    assert.deepEqual(msgs.map((m) => [m.recipient, m.status, m.reason]), [['annie@example.com', 'queued', null], ['moved@example.com', 'skipped', 'date changed']]);
  });

  test('VIP segment: Placed Order value over 365 days, net of refunds and cancellations, at least the amount', async () => {
    const now = Date.now();
    const ago = (days: number) => new Date(now - days * DAY);
    await ingestEvents(rt.db.pool, storeId, [
      order('big@example.com', 'big-1', ago(10), 600, 'A'),
      order('twice@example.com', 'twice-1', ago(100), 300, 'B'),
      order('twice@example.com', 'twice-2', ago(20), 250, 'C'),
      order('refunded@example.com', 'ref-1', ago(30), 600, 'D'),
      event('refunded@example.com', 'Refunded Order', 'ref-1-r', ago(25), { value: 200, properties: { OrderID: 'D' } }),
      order('cancelled@example.com', 'can-1', ago(30), 900, 'E'),
      event('cancelled@example.com', 'Cancelled Order', 'can-1-c', ago(29), { value: 900, properties: { OrderID: 'E' } }),
      order('lastyear@example.com', 'old-1', ago(400), 900, 'F'),
      // A refund of an order from before the window takes nothing off this year's spend.
      order('lastyear@example.com', 'old-2', ago(5), 520, 'G'),
      event('lastyear@example.com', 'Refunded Order', 'old-1-r', ago(4), { value: 900, properties: { OrderID: 'F' } }),
    ]);
    const seg = await request(app).post('/api/v1/segments').set(auth).send({ preset: 'vip', name: 'VIP 500', minSpend: 500 });
    assert.equal(seg.status, 201, JSON.stringify(seg.body));
    assert.deepEqual(seg.body.conditions, [{ metric: 'Placed Order', within: 'P365D', valueAtLeast: 500, less: ['Refunded Order', 'Cancelled Order'] }]);
    const members = async () =>
      (await rt.db.pool.query<{ email: string }>('SELECT p.email FROM segment_members m JOIN profiles p ON p.id = m.profile_id WHERE m.segment_id = $1 ORDER BY p.email', [seg.body.id])).rows.map((r) => r.email);
    assert.deepEqual(await members(), ['big@example.com', 'lastyear@example.com', 'twice@example.com']);
    // A refund arrives: the shopper is looked at again and leaves.
    await ingestEvents(rt.db.pool, storeId, [event('big@example.com', 'Refunded Order', 'big-1-r', new Date(), { value: 150, properties: { OrderID: 'A' } })]);
    await runTriggerJob(rt);
    assert.deepEqual(await members(), ['lastyear@example.com', 'twice@example.com']);

    // A flow on the segment: a shopper who joins and leaves before the message is skipped.
    const flowId = await createFlow({
      name: 'VIP thanks', status: 'live', trigger: { type: 'segment', segmentId: seg.body.id }, smartSending: { enabled: false },
      start: 'wait', steps: [{ id: 'wait', type: 'delay', duration: 'PT1H', next: 'mail' }, { id: 'mail', type: 'email', subject: 'Thank you, VIP', html: '<p>Thanks</p>' }],
    });
    await ingestEvents(rt.db.pool, storeId, [order('stays@example.com', 'stays-1', new Date(), 700, 'H'), order('leaves@example.com', 'leaves-1', new Date(), 700, 'I')]);
    await runTriggerJob(rt);
    await ingestEvents(rt.db.pool, storeId, [event('leaves@example.com', 'Cancelled Order', 'leaves-1-c', new Date(), { value: 700, properties: { OrderID: 'I' } })]);
    await runTriggerJob(rt);
    await tick(new Date(Date.now() + 1000));
    await tick(new Date(Date.now() + 2 * HOUR));
    assert.deepEqual((await messagesFor(flowId)).map((m) => [m.recipient, m.status, m.reason]), [['leaves@example.com', 'skipped', 'left the segment'], ['stays@example.com', 'queued', null]]);
    const report = (await request(app).get(`/api/v1/flows/${flowId}/report`).set(auth)).body;
    assert.deepEqual(report.skipped, { 'left the segment': 1 });

    const raw = await request(app).post('/api/v1/segments').set(auth).send({ name: 'Spend', conditions: [{ metric: 'Placed Order', within: 'P365D', valueAtLeast: -1 }] });
    assert.equal(raw.status, 422);
  });
});
