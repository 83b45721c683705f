// Support enables the low-inventory trigger for a custom catalog whose events use their own
// names and fields; the check runs against stored data before anything is saved.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { createStore } from '../src/stores/create-store.ts';
import { createApp } from '../src/web/app.ts';
import { processTriggerQueue } from '../src/flows/enter-flows.ts';
import { runFlowTick } from '../src/flows/tick.ts';
import { createMessageDelivery } from '../src/jobs/deliver-messages.ts';
import { checkCustomTrigger, CustomTriggerInput, enableCustomTrigger, useIntegrationCatalog } from '../src/support/custom-catalog-trigger.ts';
import { auditTrail } from '../src/support/audit.ts';
import { findStoreById } from '../src/db/repositories/stores.ts';
import type { StoreId } from '../src/model/ids.ts';

describe('support: custom catalog low-inventory trigger', () => {
  let rt: TestRuntime;
  let storeId: StoreId;
  let auth: { Authorization: string };
  let app: ReturnType<typeof createApp>;

  before(async () => {
    rt = await testRuntime();
    app = createApp(rt);
    const created = await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: 'own-shop.example.com' });
    storeId = created.store.id;
    auth = { Authorization: `Bearer ${created.privateKey}` };
    const put = await request(app).put('/api/v1/catalog/items').set(auth).send({
      items: [{ externalId: 'lamp', title: 'Desk Lamp', price: 80, inventoryTracking: 'product', inventoryQuantity: 12, variants: [{ externalId: 'lamp', title: 'Lamp', inventoryQuantity: 12 }] }],
    });
    assert.equal(put.status, 200);
    const time = new Date(Date.now() - 86_400_000).toISOString();
    const events = await request(app).post('/api/v1/events').set(auth).send({
      events: [
        { metric: 'Product Viewed', profile: { email: 'looker@example.com' }, properties: { product: { id: 'lamp' }, cost: 80 }, time, uniqueId: 'pv-1' },
        { metric: 'Line Ordered', profile: { email: 'buyer@example.com' }, properties: { parent_sku: 'lamp' }, time, uniqueId: 'lo-1' },
      ],
    });
    assert.equal(events.status, 202);
  });
  after(async () => rt.dispose());

  const good = {
    viewedProduct: { metric: 'Product Viewed', productIdField: 'product.id', priceField: 'cost' },
    orderedProduct: { metric: 'Line Ordered', productIdField: 'parent_sku' },
  };

  test('a mapping that does not match the stored events is refused and nothing is saved', async () => {
    const bad = { ...good, viewedProduct: { metric: 'Product Viewed', productIdField: 'productId' } };
    const report = await checkCustomTrigger(rt.db.pool, storeId, bad);
    assert.equal(report.ok, false);
    const failing = report.checks.filter((c) => !c.ok);
    assert.equal(failing.length, 1);
    assert.match(failing[0]!.detail, /0 of 1 recent "Product Viewed" events have productId/);
    const result = await enableCustomTrigger(rt.db.pool, storeId, bad, 'support@storeflow.test');
    assert.equal(result.ok, false);
    assert.equal((await findStoreById(rt.db.pool, storeId))!.customLowInventoryEnabled, false);
    assert.equal((await auditTrail(rt.db.pool, storeId)).length, 0);
  });

  test('a checked mapping turns the trigger on, renames the events, derives their items, and is audited', async () => {
    const result = await enableCustomTrigger(rt.db.pool, storeId, good, 'support@storeflow.test');
    assert.ok(result.ok, JSON.stringify(result.report));
    assert.equal(result.renamed, 2);
    const store = (await findStoreById(rt.db.pool, storeId))!;
    assert.equal(store.customLowInventoryEnabled, true);
    assert.equal(store.lowInventoryCatalog, 'custom');
    assert.equal(store.eventMapping.metricAliases['Product Viewed'], 'Viewed Product');
    const { rows } = await rt.db.pool.query<{ metric: string; product_external_id: string; price: number | null }>(
      'SELECT e.metric, i.product_external_id, i.price FROM events e JOIN event_items i ON i.store_id = e.store_id AND i.event_id = e.id WHERE e.store_id = $1 ORDER BY e.metric',
      [storeId],
    );
    assert.deepEqual(rows.map((r) => [r.metric, r.product_external_id, r.price]), [['Ordered Product', 'lamp', null], ['Viewed Product', 'lamp', 80]]);
    const audit = await auditTrail(rt.db.pool, storeId);
    assert.equal(audit.length, 1);
    assert.equal(audit[0]!.actor, 'support@storeflow.test');

    // New events under the store's own name arrive canonical, and the flow now reaches the viewer.
    const flow = await request(app).post('/api/v1/flows').set(auth).send({ preset: 'low-inventory', status: 'live', trigger: { level: 'product', threshold: 3, metrics: ['Viewed Product'] } });
    assert.equal(flow.status, 201, JSON.stringify(flow.body));
    await request(app).put('/api/v1/catalog/items').set(auth).send({ items: [{ externalId: 'lamp', title: 'Desk Lamp', inventoryTracking: 'product', inventoryQuantity: 2, variants: [{ externalId: 'lamp', inventoryQuantity: 2 }] }] });
    await processTriggerQueue(rt.db.pool, { now: new Date() });
    const runs = await rt.db.pool.query('SELECT 1 FROM flow_runs WHERE flow_id = $1', [flow.body.id]);
    assert.equal(runs.rowCount, 1);
    // …and the message lands in the outbox, about the lamp.
    await runFlowTick({ pool: rt.db.pool, config: rt.config, secrets: rt.secrets, logger: rt.logger }, { now: new Date() });
    await createMessageDelivery(rt).run();
    const outbox = await request(app).get('/api/v1/messages').query({ flowId: flow.body.id }).set(auth);
    assert.equal(outbox.status, 200);
    assert.deepEqual(outbox.body.data.map((m: { to: string; status: string }) => [m.to, m.status]), [['looker@example.com', 'sent']]);
    assert.match(outbox.body.data[0].subject, /Desk Lamp/);
  });

  test('switching back to the integration catalog turns the custom trigger off, audited', async () => {
    assert.equal(await useIntegrationCatalog(rt.db.pool, storeId, 'lead@storeflow.test'), true);
    const store = (await findStoreById(rt.db.pool, storeId))!;
    assert.equal(store.customLowInventoryEnabled, false);
    assert.equal(store.lowInventoryCatalog, 'integration');
    const audit = await auditTrail(rt.db.pool, storeId);
    assert.deepEqual(audit.map((a) => a.actor), ['lead@storeflow.test', 'support@storeflow.test']);
    const refused = await request(app).post('/api/v1/flows').set(auth).send({ preset: 'low-inventory', trigger: { level: 'product', threshold: 3, metrics: ['Viewed Product'] } });
    assert.equal(refused.status, 422);
  });
});

describe('support: a Started Checkout item list mapped as line_items[].product_id', () => {
  let rt: TestRuntime;
  let storeId: StoreId;
  let auth: { Authorization: string };
  let app: ReturnType<typeof createApp>;
  const lineItems = [
    { product_id: 'kettle', variant_id: 'kettle-red', quantity: 2, price: '45.50' },
    { product_id: 'mug', quantity: 1, price: 9 },
  ];

  before(async () => {
    rt = await testRuntime();
    app = createApp(rt);
    const created = await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: 'checkout-shop.example.com' });
    storeId = created.store.id;
    auth = { Authorization: `Bearer ${created.privateKey}` };
    const put = await request(app).put('/api/v1/catalog/items').set(auth).send({
      items: [
        { externalId: 'kettle', title: 'Kettle', price: 45.5, inventoryTracking: 'product', inventoryQuantity: 10, variants: [{ externalId: 'kettle-red', title: 'Red', inventoryQuantity: 10 }] },
        { externalId: 'mug', title: 'Mug', price: 9, inventoryTracking: 'product', inventoryQuantity: 50, variants: [{ externalId: 'mug', title: 'Mug', inventoryQuantity: 50 }] },
      ],
    });
    assert.equal(put.status, 200);
    const time = new Date(Date.now() - 86_400_000).toISOString();
    const events = await request(app).post('/api/v1/events').set(auth).send({
      events: [
        { metric: 'Checkout Started', profile: { email: 'early@example.com' }, properties: { line_items: lineItems, total_price: 100 }, time, uniqueId: 'cs-1' },
        { metric: 'Ordered Product', profile: { email: 'buyer@example.com' }, properties: { ProductID: 'mug', Price: 9 }, time, uniqueId: 'op-1' },
      ],
    });
    assert.equal(events.status, 202);
  });
  after(async () => rt.dispose());

  const storedItems = async (uniqueId: string) =>
    (
      await rt.db.pool.query<{ product_external_id: string | null; variant_external_id: string | null; quantity: number; price: string | null }>(
        `SELECT i.product_external_id, i.variant_external_id, i.quantity, i.price FROM events e
         JOIN event_items i ON i.store_id = e.store_id AND i.event_id = e.id WHERE e.store_id = $1 AND e.unique_id = $2 ORDER BY i.position`,
        [storeId, uniqueId],
      )
    ).rows.map((r) => ({ productExternalId: r.product_external_id, variantExternalId: r.variant_external_id, quantity: r.quantity, price: r.price === null ? null : Number(r.price) }));

  test('the check runs the ingest extractor on the stored event; ingest then stores the same items and a fall enters the shopper', async () => {
    const input = {
      startedCheckout: { metric: 'Checkout Started', productIdField: 'line_items[].product_id', priceField: 'line_items[].price' },
      orderedProduct: { metric: 'Ordered Product', productIdField: 'ProductID' },
    };
    const report = await checkCustomTrigger(rt.db.pool, storeId, CustomTriggerInput.parse(input));
    assert.ok(report.ok, JSON.stringify(report));
    const checkout = report.checks.find((c) => c.name === 'Started Checkout carries the product ID')!;
    assert.match(checkout.detail, /1 of 1 recent "Checkout Started" events have line_items\[\]\.product_id; 1 name a catalog product/);
    const shown = [
      { productExternalId: 'kettle', variantExternalId: null, quantity: 1, price: 45.5 },
      { productExternalId: 'mug', variantExternalId: null, quantity: 1, price: 9 },
    ];
    assert.deepEqual(checkout.extracted, shown);

    const result = await enableCustomTrigger(rt.db.pool, storeId, CustomTriggerInput.parse(input), 'support@storeflow.test');
    assert.ok(result.ok);
    assert.deepEqual(await storedItems('cs-1'), shown, 'the stored event is derived again exactly as the check showed');

    // A new Started Checkout under the store's own name: ingest derives the same item rows.
    const sent = await request(app).post('/api/v1/events').set(auth).send({
      events: [{ metric: 'Checkout Started', profile: { email: 'shopper@example.com' }, properties: { line_items: lineItems, total_price: 100 }, uniqueId: 'cs-2' }],
    });
    assert.equal(sent.status, 202);
    assert.deepEqual(await storedItems('cs-2'), shown);

    const flow = await request(app).post('/api/v1/flows').set(auth).send({ preset: 'low-inventory', status: 'live', trigger: { level: 'product', threshold: 3, metrics: ['Started Checkout'] } });
    assert.equal(flow.status, 201, JSON.stringify(flow.body));
    await request(app).put('/api/v1/catalog/items').set(auth).send({ items: [{ externalId: 'kettle', title: 'Kettle', inventoryTracking: 'product', inventoryQuantity: 2, variants: [{ externalId: 'kettle-red', inventoryQuantity: 2 }] }] });
    await processTriggerQueue(rt.db.pool, { now: new Date() });
    const entered = await rt.db.pool.query<{ email: string }>(
      'SELECT p.email FROM flow_runs r JOIN profiles p ON p.store_id = r.store_id AND p.id = r.profile_id WHERE r.flow_id = $1 ORDER BY p.email',
      [flow.body.id],
    );
    assert.deepEqual(entered.rows.map((r) => r.email), ['early@example.com', 'shopper@example.com']);
  });
});
