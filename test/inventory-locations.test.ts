// Stock per location: Shopify's inventory_levels/update (the real sample, one delivery per item and
// location) goes through the route and the worker; the merchant leaves the shop counter out
// through /api/v1/locations; quantities are recounted set-based with observations, and the
// recount does not start a low-inventory flow by itself. A later fall from above the threshold does.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../src/web/app.ts';
import { createStore } from '../src/stores/create-store.ts';
import { saveInstallation } from '../src/db/repositories/stores.ts';
import { findProductByExternalId } from '../src/db/repositories/catalog.ts';
import { drainWebhooks } from '../src/jobs/process-webhooks.ts';
import { processTriggerQueue } from '../src/flows/enter-flows.ts';
import { ingestEvents } from '../src/ingest/ingest-events.ts';
import { ingestProfiles } from '../src/ingest/ingest-profiles.ts';
import type { ExternalProductId } from '../src/model/ids.ts';
import type { Store } from '../src/model/store.ts';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { ENV, SHOP, postDelivery, productNode, realFixture, signedDelivery, startAdminStub, type AdminStub } from './fixtures/shopify/kit.ts';

// The real sample's inventory item (past 2^53) and location; the counter is a second location.
const ITEM = '271878346596884015';
const WAREHOUSE = '24826418';
const COUNTER = '905684977';
const PRODUCT = '632910392';
const VARIANT = '808950810';

describe('stock per location', () => {
  let rt: TestRuntime;
  let app: Express;
  let store: Store;
  let stub: AdminStub;
  let auth: { Authorization: string };
  // What Shopify holds now: the stub answers read-backs from it.
  const stock = { warehouse: 6, counter: 4 };

  // Shopify dates each report when the level changed; the sample's 2021 date stands for that.
  const deliverLevel = async (available: number, location = WAREHOUSE) => {
    const body = realFixture('inventory_levels/update')
      .replace('"available": 6', `"available": ${available}`)
      .replace('"2021-12-31T19:00:00-05:00"', JSON.stringify(new Date().toISOString()))
      .replaceAll(WAREHOUSE, location);
    const res = await postDelivery(request(app), signedDelivery('inventory_levels/update', body, { triggeredAt: new Date().toISOString() }));
    assert.equal(res.status, 200);
    assert.equal(await drainWebhooks(rt), 1);
  };
  const quantities = async () => {
    const p = await findProductByExternalId(rt.db.pool, store.id, PRODUCT);
    return { product: p?.inventoryQuantity, variant: p?.variants[0]?.inventoryQuantity };
  };
  const runs = async () => (await rt.db.pool.query('SELECT key FROM flow_runs WHERE store_id = $1', [store.id])).rows.length;

  before(async () => {
    stub = await startAdminStub();
    stub.graphql.set('StoreflowInventoryItems', (body) => ({
      nodes: (body.variables?.ids as string[]).map((gid) => ({
        id: gid,
        inventoryLevels: {
          nodes: [
            { location: { id: `gid://shopify/Location/${WAREHOUSE}`, name: 'Warehouse' }, quantities: [{ name: 'available', quantity: stock.warehouse }] },
            { location: { id: `gid://shopify/Location/${COUNTER}`, name: 'Shop counter' }, quantities: [{ name: 'available', quantity: stock.counter }] },
          ],
        },
        variant: { legacyResourceId: VARIANT, product: productNode(PRODUCT, [{ id: VARIANT, qty: stock.warehouse + stock.counter }]) },
      })),
    }));
    rt = await testRuntime({ env: ENV });
    app = createApp(rt);
    const created = await createStore(rt.db.pool, rt.secrets, { platform: 'shopify', domain: SHOP });
    auth = { Authorization: `Bearer ${created.privateKey}` };
    store = await saveInstallation(rt.db.pool, created.store.id, { accessTokenSealed: rt.secrets.seal('shpat_locations'), scopes: [] });
  });
  after(async () => {
    await rt.dispose();
    await stub.close();
  });

  test('every location counts until the merchant says otherwise: the totals are Shopify\'s own', async () => {
    await deliverLevel(6);
    assert.deepEqual(await quantities(), { product: 10, variant: 10 });
    const asked = stub.calls.find((c) => c.body.query?.includes('StoreflowInventoryItems'));
    assert.deepEqual(asked?.body.variables?.ids, [`gid://shopify/InventoryItem/${ITEM}`], 'the item id is kept exact past 2^53');
    const res = await request(app).get('/api/v1/locations').set(auth);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.data, [
      { locationId: COUNTER, name: 'Shop counter', counts: true, variants: 1, available: 4 },
      { locationId: WAREHOUSE, name: 'Warehouse', counts: true, variants: 1, available: 6 },
    ]);
  });

  test('leaving the counter out recounts with observations but starts no low-inventory flow; a later fall from above does', async () => {
    await ingestProfiles(rt.db.pool, store.id, [{ email: 'viewer@example.com', consent: { email: 'subscribed' } }]);
    await ingestEvents(rt.db.pool, store.id, [
      { metric: 'Viewed Product', profile: { email: 'viewer@example.com' }, time: new Date(), value: null, properties: {}, uniqueId: 'view-1',
        items: [{ productExternalId: PRODUCT as ExternalProductId, variantExternalId: null, quantity: 1, price: 10 }] },
    ]);
    const flow = await request(app).post('/api/v1/flows').set(auth).send({
      preset: 'low-inventory', status: 'live',
      trigger: { type: 'low-inventory', level: 'product', threshold: 8, metrics: ['Viewed Product'], lookbackDays: 30, excludePurchasedWithinDays: 7 },
    });
    assert.equal(flow.status, 201, JSON.stringify(flow.body));

    const unknown = await request(app).patch('/api/v1/locations').set(auth).send({ locations: [{ locationId: '1', counts: false }] });
    assert.equal(unknown.status, 422);
    assert.match(unknown.headers['content-type']!, /application\/problem\+json/);

    const res = await request(app).patch('/api/v1/locations').set(auth).send({ locations: [{ locationId: COUNTER, counts: false }] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.recounted, 2);
    assert.deepEqual(await quantities(), { product: 6, variant: 6 });
    const { rows: observed } = await rt.db.pool.query(
      "SELECT level, old_quantity, new_quantity, cause FROM inventory_observations WHERE store_id = $1 AND cause = 'recount' ORDER BY level",
      [store.id],
    );
    assert.deepEqual(observed, [
      { level: 'product', old_quantity: 10, new_quantity: 6, cause: 'recount' },
      { level: 'variant', old_quantity: 10, new_quantity: 6, cause: 'recount' },
    ]);
    await processTriggerQueue(rt.db.pool, { now: new Date() });
    assert.equal(await runs(), 0, 'the recount from 10 to 6 crossed the threshold of 8 but is not a fall the source reported');

    // A sale at the warehouse: 6 → 5 counted, but the item was already at or below 8.
    stock.warehouse = 5;
    await deliverLevel(5);
    assert.deepEqual(await quantities(), { product: 5, variant: 5 }, 'the counter\'s 4 stay out of Shopify\'s total of 9');
    await processTriggerQueue(rt.db.pool, { now: new Date() });
    assert.equal(await runs(), 0);

    // Restocked above the threshold, then a fall through it: that one fires.
    stock.warehouse = 12;
    await deliverLevel(12);
    stock.counter = 1;
    await deliverLevel(1, COUNTER);
    stock.warehouse = 7;
    await deliverLevel(7);
    assert.deepEqual(await quantities(), { product: 7, variant: 7 });
    await processTriggerQueue(rt.db.pool, { now: new Date() });
    assert.equal(await runs(), 1);

    // Counting the counter again brings its stock back in, again without a flow of its own.
    const back = await request(app).patch('/api/v1/locations').set(auth).send({ locations: [{ locationId: COUNTER, counts: true }] });
    assert.equal(back.status, 200);
    assert.deepEqual(await quantities(), { product: 8, variant: 8 });
  });
});
