// BigCommerce multi-location stock: the documented stock_changed delivery
// (test/fixtures/bigcommerce/real/inventory-stock-changed.json) is signed, posted to the route and
// drained; the worker reads the product and its inventory items (the documented Inventory API
// answer, test/fixtures/bigcommerce/real/api/) and ingest stores the stock per location. Leaving a
// location out changes the counted sum and with it the low-inventory threshold decision.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import type { Express } from 'express';
import { createBigCommerceConnector, type BigCommerceConnector } from '../../connectors/bigcommerce/bigcommerce-connector.ts';
import { createApp } from '../../src/web/app.ts';
import { createStore } from '../../src/stores/create-store.ts';
import { saveInstallation } from '../../src/db/repositories/stores.ts';
import { drainWebhooks } from '../../src/jobs/process-webhooks.ts';
import { processTriggerQueue } from '../../src/flows/enter-flows.ts';
import { ingestEvents } from '../../src/ingest/ingest-events.ts';
import { ingestProfiles } from '../../src/ingest/ingest-profiles.ts';
import type { ExternalProductId } from '../../src/model/ids.ts';
import type { Store } from '../../src/model/store.ts';
import { testRuntime, type TestRuntime } from '../helpers/db.ts';
import { startBigCommerceStub, type Stub } from '../fixtures/bigcommerce/stub-api.ts';
import { ACCESS_TOKEN, CLIENT_ID, CLIENT_SECRET, STORE_HASH, productTrackedProduct, signedRequest, variantTrackedProduct } from '../fixtures/bigcommerce/payloads.ts';

const REAL = join(import.meta.dirname, '..', 'fixtures', 'bigcommerce', 'real');
const stockChanged = () => JSON.parse(readFileSync(join(REAL, 'inventory-stock-changed.json'), 'utf8').replaceAll('{store_hash}', STORE_HASH)) as Record<string, unknown>;
/** The documented item: product-level identity, one location ("Default location", 10 to sell). */
const documentedItem = (JSON.parse(readFileSync(join(REAL, 'api', 'inventory-items-at-locations.json'), 'utf8')) as { data: Array<{ identity: { product_id: number }; locations: Array<Record<string, unknown>> }> }).data[0]!;

// The documented delivery names variant 127 of product 113 at location 2.
const PRODUCT = 113;
const SIZE_M = 127;
const SIZE_L = 128;
const DEFAULT_LOCATION = '1';
const COUNTER = '2';

/** The documented item's shape with our ids and figures: one location entry per (location, available). */
function item(identity: { product_id: number; variant_id?: number }, at: Array<[number, string, number]>) {
  const [template] = documentedItem.locations;
  return {
    ...documentedItem,
    identity,
    locations: at.map(([id, name, available]) => ({ ...template, location_id: id, location_code: `BC-LOCATION-${id}`, location_name: name, available_to_sell: available })),
  };
}

describe('BigCommerce stock per location', () => {
  let rt: TestRuntime;
  let app: Express;
  let stub: Stub;
  let store: Store;
  let connector: BigCommerceConnector;
  let auth: { Authorization: string };
  let createdAt = 1_682_624_640;
  // What BigCommerce holds now, by variant and location: the stub answers from it.
  const stock = { m: { default: 9, counter: 4 }, l: { default: 3, counter: 0 } };

  const serveStock = () => {
    const product = variantTrackedProduct(PRODUCT, [stock.m.default + stock.m.counter, stock.l.default + stock.l.counter]);
    product.variants = product.variants.map((v, i) => ({ ...v, id: i === 0 ? SIZE_M : SIZE_L, product_id: PRODUCT }));
    stub.state.products.set(PRODUCT, product);
    stub.state.inventoryItems = [
      item({ product_id: PRODUCT, variant_id: SIZE_M }, [[1, 'Default location', stock.m.default], [2, 'Downtown counter', stock.m.counter]]),
      item({ product_id: PRODUCT, variant_id: SIZE_L }, [[1, 'Default location', stock.l.default], [2, 'Downtown counter', stock.l.counter]]),
      // The documented item as it stands: a product tracked as a whole (214, below).
      { ...documentedItem, identity: { product_id: 214 } },
    ];
  };
  const deliver = async (body: Record<string, unknown> = stockChanged()) => {
    // Each delivery is a new event (BigCommerce's hash and time differ), read back as the stub holds it now.
    createdAt += 60;
    const req = signedRequest({ ...body, created_at: createdAt, hash: `${body.hash as string}${createdAt}` });
    let r = request(app).post('/webhooks/bigcommerce');
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') r = r.set(k, v);
    const res = await r.send(req.rawBody.toString('utf8'));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.status, 'queued');
    assert.equal(await drainWebhooks({ ...rt, connectors: { ...rt.connectors, bigcommerce: connector } }), 1);
  };
  const quantities = async () => {
    const { rows } = await rt.db.pool.query<{ external_id: string; inventory_quantity: number | null }>(
      `SELECT v.external_id, v.inventory_quantity FROM variants v JOIN products p ON p.id = v.product_id
       WHERE p.store_id = $1 AND p.external_id = $2 ORDER BY v.external_id`,
      [store.id, String(PRODUCT)],
    );
    const product = await rt.db.pool.query<{ inventory_quantity: number }>('SELECT inventory_quantity FROM products WHERE store_id = $1 AND external_id = $2', [store.id, String(PRODUCT)]);
    return { product: product.rows[0]?.inventory_quantity, variants: Object.fromEntries(rows.map((r) => [r.external_id, r.inventory_quantity])) };
  };
  const runs = async () => (await rt.db.pool.query('SELECT key FROM flow_runs WHERE store_id = $1', [store.id])).rows.length;

  before(async () => {
    stub = await startBigCommerceStub({ storeHash: STORE_HASH, token: ACCESS_TOKEN });
    serveStock();
    stub.state.products.set(214, productTrackedProduct(214, 10));
    rt = await testRuntime();
    connector = createBigCommerceConnector({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, appUrl: 'https://storeflow.example.com', apiBaseUrl: stub.url, retryBaseMs: 1 });
    app = createApp({ ...rt, connectors: { ...rt.connectors, bigcommerce: connector } });
    const created = await createStore(rt.db.pool, rt.secrets, { platform: 'bigcommerce', domain: 'multi-location.example.com' });
    auth = { Authorization: `Bearer ${created.privateKey}` };
    store = await saveInstallation(rt.db.pool, created.store.id, { accessTokenSealed: rt.secrets.seal(ACCESS_TOKEN), scopes: [], externalId: STORE_HASH });
  });
  after(async () => {
    await rt.dispose();
    await stub.close();
  });

  test('the documented stock_changed delivery stores each variant\'s stock per location; every location counts at first', async () => {
    await deliver();
    const asked = stub.state.seen.find((s) => s.path.endsWith('/v3/inventory/items'));
    assert.equal(asked?.query.get('product_id:in'), String(PRODUCT));
    assert.deepEqual(await quantities(), { product: 16, variants: { [SIZE_M]: 13, [SIZE_L]: 3 } });
    const { rows } = await rt.db.pool.query(
      `SELECT v.external_id AS variant, vl.location_id, vl.available FROM variant_locations vl JOIN variants v ON v.id = vl.variant_id
       WHERE vl.store_id = $1 ORDER BY v.external_id, vl.location_id`,
      [store.id],
    );
    assert.deepEqual(rows, [
      { variant: String(SIZE_M), location_id: DEFAULT_LOCATION, available: 9 },
      { variant: String(SIZE_M), location_id: COUNTER, available: 4 },
      { variant: String(SIZE_L), location_id: DEFAULT_LOCATION, available: 3 },
      { variant: String(SIZE_L), location_id: COUNTER, available: 0 },
    ]);
    const res = await request(app).get('/api/v1/locations').set(auth);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.data, [
      { locationId: DEFAULT_LOCATION, name: 'Default location', counts: true, variants: 2, available: 12 },
      { locationId: COUNTER, name: 'Downtown counter', counts: true, variants: 2, available: 4 },
    ]);
  });

  test('a product tracked as a whole keeps its documented item\'s levels on its base variant', async () => {
    await deliver({ ...stockChanged(), data: { product_id: 214, location_id: 1 } });
    const { rows } = await rt.db.pool.query(
      `SELECT p.inventory_tracking, p.inventory_quantity, vl.location_id, vl.available FROM products p
       JOIN variants v ON v.product_id = p.id JOIN variant_locations vl ON vl.variant_id = v.id
       WHERE p.store_id = $1 AND p.external_id = '214'`,
      [store.id],
    );
    assert.deepEqual(rows, [{ inventory_tracking: 'product', inventory_quantity: 10, location_id: DEFAULT_LOCATION, available: 10 }]);
  });

  test('leaving the counter out lowers the counted sum, and the threshold applies to that sum', async () => {
    await ingestProfiles(rt.db.pool, store.id, [{ email: 'viewer@example.com', consent: { email: 'subscribed' } }]);
    await ingestEvents(rt.db.pool, store.id, [
      { metric: 'Viewed Product', profile: { email: 'viewer@example.com' }, time: new Date(), value: null, properties: {}, uniqueId: 'view-113',
        items: [{ productExternalId: String(PRODUCT) as ExternalProductId, variantExternalId: null, quantity: 1, price: 59 }] },
    ]);
    const flow = await request(app).post('/api/v1/flows').set(auth).send({
      preset: 'low-inventory', status: 'live',
      trigger: { type: 'low-inventory', level: 'product', threshold: 12, metrics: ['Viewed Product'], lookbackDays: 30, excludePurchasedWithinDays: 7 },
    });
    assert.equal(flow.status, 201, JSON.stringify(flow.body));

    // A sale at the default location, with the counter counted: 16 → 14, still above 12.
    stock.m.default = 7;
    serveStock();
    await deliver();
    assert.deepEqual(await quantities(), { product: 14, variants: { [SIZE_M]: 11, [SIZE_L]: 3 } });
    await processTriggerQueue(rt.db.pool, { now: new Date() });
    assert.equal(await runs(), 0, 'counting the counter, 14 is above the threshold');

    const res = await request(app).patch('/api/v1/locations').set(auth).send({ locations: [{ locationId: COUNTER, counts: false }] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(await quantities(), { product: 10, variants: { [SIZE_M]: 7, [SIZE_L]: 3 } }, 'the counter\'s 4 no longer count');
    await processTriggerQueue(rt.db.pool, { now: new Date() });
    assert.equal(await runs(), 0, 'a recount is not a fall the source reported');

    // Restocked at the default location, then the same sale as before: counted 16 → 14 is above
    // the threshold, 14 → 12 with the counter left out crosses it. BigCommerce's total is 18 → 16.
    stock.m.default = 13;
    serveStock();
    await deliver();
    assert.deepEqual(await quantities(), { product: 16, variants: { [SIZE_M]: 13, [SIZE_L]: 3 } });
    stock.m.default = 9;
    serveStock();
    await deliver();
    assert.deepEqual(await quantities(), { product: 12, variants: { [SIZE_M]: 9, [SIZE_L]: 3 } });
    await processTriggerQueue(rt.db.pool, { now: new Date() });
    assert.equal(await runs(), 1, 'the counted sum fell through 12');
  });

  test('the catalog pull reads each page\'s inventory items in one call and carries their levels', async () => {
    const before = stub.state.seen.filter((s) => s.path.endsWith('/v3/inventory/items')).length;
    const pages = [];
    for await (const page of connector.fetchCatalog({ store, accessToken: ACCESS_TOKEN, cursor: null })) pages.push(page);
    assert.equal(stub.state.seen.filter((s) => s.path.endsWith('/v3/inventory/items')).length - before, pages.length);
    const [m] = pages.flatMap((p) => p.products).find((p) => p.externalId === String(PRODUCT))!.variants;
    assert.deepEqual(m?.locationLevels, [
      { locationId: DEFAULT_LOCATION, locationName: 'Default location', available: stock.m.default },
      { locationId: COUNTER, locationName: 'Downtown counter', available: stock.m.counter },
    ]);
    assert.equal(m?.inventoryQuantity, stock.m.default + stock.m.counter, 'the platform total is the levels\' sum; ingest takes the uncounted out');
  });

  test('a store whose token cannot read inventory keeps the catalog\'s figures', async () => {
    stub.state.inventoryItems = undefined;
    stock.m.default = 8;
    const product = variantTrackedProduct(PRODUCT, [20, 3]);
    product.variants = product.variants.map((v, i) => ({ ...v, id: i === 0 ? SIZE_M : SIZE_L, product_id: PRODUCT }));
    stub.state.products.set(PRODUCT, product);
    await deliver();
    // The catalog says 20 for size M; the stored counter level (4, not counted) is taken out of it.
    assert.deepEqual(await quantities(), { product: 19, variants: { [SIZE_M]: 16, [SIZE_L]: 3 } });
  });
});
