// Order events from the common order model driving the journey flows: the post-purchase preset
// waits for Fulfilled Order before the delivery confirmation, then asks for a review; refunds
// and cancellations come off the flow's revenue.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { createStore } from '../src/stores/create-store.ts';
import { createApp } from '../src/web/app.ts';
import { processTriggerQueue } from '../src/flows/enter-flows.ts';
import { runFlowTick } from '../src/flows/tick.ts';
import { createMessageDelivery } from '../src/jobs/deliver-messages.ts';
import { ingestEvents } from '../src/ingest/ingest-events.ts';
import { cancelledOrderEvent, fulfilledOrderEvent, placedOrderEvents, refundedOrderEvent } from '../src/model/order-events.ts';
import type { CommonOrderInput } from '../src/model/order.ts';
import type { StoreId } from '../src/model/ids.ts';

describe('order events in the journey flows', () => {
  let rt: TestRuntime;
  let storeId: StoreId;
  let auth: { Authorization: string };
  let app: ReturnType<typeof createApp>;
  let flowId: string;
  const start = new Date(Date.now() - 60_000);
  const order = (orderId: string, placedAt: Date): CommonOrderInput => ({
    platform: 'shopify',
    orderId,
    number: `#${orderId}`,
    currency: 'USD',
    total: 100,
    placedAt,
    customer: { email: 'ada@example.com' },
    lineItems: [{ lineId: `${orderId}-1`, productId: '8123456789012', variantId: '44123456789001', title: 'Example T-Shirt', quantity: 2, price: 50 }],
  });
  const step = async (now: Date) => {
    await processTriggerQueue(rt.db.pool, { now });
    await runFlowTick({ pool: rt.db.pool, config: rt.config, secrets: rt.secrets, logger: rt.logger }, { now });
    await createMessageDelivery(rt).run();
  };
  const subjects = async () => {
    const res = await request(app).get('/api/v1/messages').query({ flowId }).set(auth);
    assert.equal(res.status, 200);
    return (res.body.data as Array<{ subject: string; status: string; reason: string }>).map((m) => m.subject ?? `${m.status}: ${m.reason}`).sort();
  };
  const revenue = async () => (await request(app).get(`/api/v1/flows/${flowId}/report`).set(auth)).body.revenue as number;

  before(async () => {
    rt = await testRuntime();
    app = createApp(rt);
    const created = await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: 'orders.example.com' });
    storeId = created.store.id;
    auth = { Authorization: `Bearer ${created.privateKey}` };
    const flow = await request(app).post('/api/v1/flows').set(auth).send({ preset: 'post-purchase', status: 'live' });
    assert.equal(flow.status, 201, JSON.stringify(flow.body));
    flowId = flow.body.id;
  });
  after(async () => rt.dispose());

  test('every order event carries the same Items and Ordered Product carries Price', () => {
    const [placed, ...lines] = placedOrderEvents(order('1001', start));
    assert.deepEqual((placed!.properties.Items as Array<Record<string, unknown>>).map((i) => [i.ProductID, i.VariantID, i.Quantity, i.ItemPrice]), [['8123456789012', '44123456789001', 2, 50]]);
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.properties.Price, 50);
    assert.equal(lines[0]!.value, 100);
    const fulfilled = fulfilledOrderEvent(order('1001', start), { at: start });
    assert.deepEqual(fulfilled.properties.Items, placed!.properties.Items);
    assert.equal(fulfilled.uniqueId, 'shopify:order:1001:fulfilled');
  });

  test('post-purchase: thanks at once, delivery confirmation only after Fulfilled Order, then a review request', async () => {
    await ingestEvents(rt.db.pool, storeId, placedOrderEvents(order('1001', start)));
    await step(new Date());
    assert.deepEqual(await subjects(), ['Thank you for your order']);
    // Ten days on without a fulfilment nothing more is sent (the old preset sent the review here).
    await step(new Date(Date.now() + 10 * 86_400_000));
    assert.deepEqual(await subjects(), ['Thank you for your order']);
    const shippedAt = new Date(Date.now() + 10 * 86_400_000 + 1_000);
    await ingestEvents(rt.db.pool, storeId, [fulfilledOrderEvent(order('1001', start), { at: shippedAt })]);
    await step(new Date(shippedAt.getTime() + 60_000));
    assert.deepEqual(await subjects(), ['Thank you for your order', 'Your order is on its way']);
    await step(new Date(shippedAt.getTime() + 8 * 86_400_000));
    assert.deepEqual(await subjects(), ['How is it going?', 'Thank you for your order', 'Your order is on its way']);
  });

  test('revenue is the attributed order less its refunds, and nothing once it is cancelled', async () => {
    // Messages are stamped sent when the delivery job ran, so an hour from now is inside the window.
    const later = new Date(Date.now() + 3_600_000);
    await ingestEvents(rt.db.pool, storeId, placedOrderEvents(order('1002', later)));
    assert.equal(await revenue(), 100);
    await ingestEvents(rt.db.pool, storeId, [refundedOrderEvent(order('1002', later), { refundId: 'r1', at: later, amount: 30 })]);
    assert.equal(await revenue(), 70);
    await ingestEvents(rt.db.pool, storeId, [cancelledOrderEvent(order('1002', later), { at: later })]);
    assert.equal(await revenue(), 0);
  });
});
