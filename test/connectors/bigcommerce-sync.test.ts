// What BigCommerce deliveries become once the worker has read the objects back, the catalog
// pull, the API client's rate-limit and retry handling, and the scheduled hook repair.
import { describe, test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { createApp } from '../../src/web/app.ts';
import { createBigCommerceConnector, type BigCommerceConnector } from '../../connectors/bigcommerce/bigcommerce-connector.ts';
import { BigCommerceApiError, createStoreApi } from '../../connectors/bigcommerce/api-client.ts';
import { HOOK_SCOPES } from '../../connectors/bigcommerce/normalise-delivery.ts';
import { runConnectorJob } from '../helpers/connector-jobs.ts';
import { createStore } from '../../src/stores/create-store.ts';
import { saveInstallation } from '../../src/db/repositories/stores.ts';
import { findSync, finishSync, requestSync } from '../../src/db/repositories/catalog-syncs.ts';
import { drainWebhooks } from '../../src/jobs/process-webhooks.ts';
import { runCatalogSyncs } from '../../src/jobs/sync-catalog.ts';
import type { Store } from '../../src/model/store.ts';
import { testRuntime, type TestRuntime } from '../helpers/db.ts';
import { startBigCommerceStub, type Stub } from '../fixtures/bigcommerce/stub-api.ts';
import {
  ACCESS_TOKEN,
  CLIENT_ID,
  CLIENT_SECRET,
  STORE_HASH,
  cart,
  customer,
  envelope,
  order,
  productTrackedProduct,
  signedRequest,
  variantTrackedProduct,
} from '../fixtures/bigcommerce/payloads.ts';

const APP_URL = 'https://storeflow.example.com';
const RATE_LIMITED = { status: 429, headers: { 'X-Rate-Limit-Requests-Left': '0', 'X-Rate-Limit-Time-Reset-Ms': '15' } };

describe('BigCommerce deliveries, catalog sync and API client', () => {
  let rt: TestRuntime;
  let stub: Stub;
  let connector: BigCommerceConnector;
  let store: Store;
  let runtime: TestRuntime;
  let createdAt = Math.floor(Date.now() / 1000);

  before(async () => {
    rt = await testRuntime({ env: { APP_URL } });
    stub = await startBigCommerceStub({ storeHash: STORE_HASH, token: ACCESS_TOKEN });
    connector = createBigCommerceConnector({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, appUrl: APP_URL, apiBaseUrl: stub.url, retryBaseMs: 1, catalogPageSize: 2 });
    runtime = { ...rt, connectors: { ...rt.connectors, bigcommerce: connector } };
    const created = await createStore(rt.db.pool, rt.secrets, { platform: 'bigcommerce', domain: 'linen-and-co.example.com' });
    store = await saveInstallation(rt.db.pool, created.store.id, { accessTokenSealed: rt.secrets.seal(ACCESS_TOKEN), scopes: [], externalId: STORE_HASH });
  });
  after(async () => {
    await stub.close();
    await rt.dispose();
  });
  beforeEach(() => {
    stub.state.seen.length = 0;
    stub.state.failures.clear();
  });

  /** Posts a signed delivery through the app, drains the inbox, and returns the worker's outcome. */
  async function deliver(scope: string, data: Record<string, unknown>, at = createdAt++): Promise<string> {
    const body = envelope(scope, data, { createdAt: at });
    const req = signedRequest(body);
    let r = request(createApp(runtime)).post('/webhooks/bigcommerce');
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') r = r.set(k, v);
    const res = await r.send(req.rawBody);
    assert.equal(res.status, 200, res.text);
    await drainWebhooks(runtime);
    const { rows } = await rt.db.pool.query('SELECT outcome, last_error FROM webhook_inbox WHERE delivery_id = $1', [body.hash]);
    assert.equal(rows[0].last_error, null);
    return rows[0].outcome as string;
  }

  const product = async (externalId: string) =>
    (await rt.db.pool.query('SELECT inventory_tracking, inventory_quantity, title, url, deleted_at FROM products WHERE store_id = $1 AND external_id = $2', [store.id, externalId])).rows[0];

  test('a product with variant tracking is stored with the variants summed into the product quantity', async () => {
    stub.state.products.set(112, variantTrackedProduct(112, [3, 4]));
    await deliver('store/product/created', { type: 'product', id: 112 });
    const p = await product('112');
    assert.deepEqual({ ...p, deleted_at: undefined }, { inventory_tracking: 'variant', inventory_quantity: 7, title: 'Linen Shirt', url: 'https://linen-and-co.example.com/linen-shirt/', deleted_at: undefined });
    const variants = await rt.db.pool.query('SELECT external_id, title, inventory_quantity FROM variants WHERE store_id = $1 ORDER BY external_id', [store.id]);
    assert.deepEqual(variants.rows, [
      { external_id: '201', title: 'M', inventory_quantity: 3 },
      { external_id: '202', title: 'L', inventory_quantity: 4 },
    ]);
  });

  test('a relative sku delta re-reads the absolute level instead of adding the delta', async () => {
    stub.state.products.set(112, variantTrackedProduct(112, [1, 4]));
    await deliver('store/sku/inventory/order/updated', { type: 'sku', id: 201, inventory: { product_id: 112, variant_id: 201, method: 'relative', value: -2 } });
    assert.equal((await product('112')).inventory_quantity, 5);
    assert.ok(stub.state.seen.some((s) => s.path.endsWith('/v3/catalog/products/112') && s.query.get('include') === 'variants,images'));
  });

  test('product-level inventory is read from the product; a 429 on the way is waited out', async () => {
    stub.state.products.set(113, productTrackedProduct(113, 2));
    stub.state.failures.set('/v3/catalog/products/113', [RATE_LIMITED, RATE_LIMITED]);
    await deliver('store/product/inventory/updated', { type: 'product', id: 113, inventory: { product_id: 113, method: 'absolute', value: 2 } });
    assert.equal((await product('113')).inventory_quantity, 2);
    assert.equal(stub.state.seen.filter((s) => s.path.endsWith('/v3/catalog/products/113')).length, 3);
  });

  test('a product that is gone when read back is marked deleted, not retried', async () => {
    stub.state.products.delete(113);
    // Deletes are ordered by the event's own time, which BigCommerce stamps after our last read.
    const outcome = await deliver('store/product/updated', { type: 'product', id: 113 }, Math.floor(Date.now() / 1000) + 60);
    assert.match(outcome, /delete: 1/);
    assert.ok((await product('113')).deleted_at);
  });

  test('a cart becomes Added to Cart per line; the same cart state again adds nothing', async () => {
    const c = cart();
    stub.state.carts.set(c.id, c);
    await deliver('store/cart/created', { type: 'cart', id: c.id });
    await deliver('store/cart/updated', { type: 'cart', id: c.id });
    const { rows } = await rt.db.pool.query(
      `SELECT e.metric, e.value, e.properties, p.email, i.product_external_id, i.variant_external_id, i.quantity
       FROM events e JOIN profiles p ON p.store_id = e.store_id AND p.id = e.profile_id JOIN event_items i ON i.store_id = e.store_id AND i.event_id = e.id
       WHERE e.store_id = $1 AND e.metric = 'Added to Cart'`,
      [store.id],
    );
    assert.equal(rows.length, 1);
    assert.equal(rows[0].email, 'ada@example.com');
    assert.equal(rows[0].value, 118);
    assert.deepEqual([rows[0].product_external_id, rows[0].variant_external_id, rows[0].quantity], ['112', '201', 2]);
    assert.equal(rows[0].properties.ProductID, '112');
    assert.equal(rows[0].properties.Price, 59);
  });

  test('an order becomes Placed Order with its items and one Ordered Product per line; an incomplete one is ignored', async () => {
    stub.state.orders.set(5001, order(5001));
    stub.state.orders.set(5002, order(5002, 0));
    await deliver('store/order/created', { type: 'order', id: 5001 });
    assert.match(await deliver('store/order/created', { type: 'order', id: 5002 }), /ignored: order 5002 is incomplete/);
    const { rows } = await rt.db.pool.query("SELECT metric, value, properties FROM events WHERE store_id = $1 AND metric IN ('Placed Order', 'Ordered Product') ORDER BY id", [store.id]);
    assert.deepEqual(rows.map((r) => [r.metric, r.value]), [['Placed Order', 143], ['Ordered Product', 118], ['Ordered Product', 25]]);
    assert.deepEqual(rows[0].properties.Items, [
      // The common order shape names every field on every platform; what BigCommerce's order lines lack is null.
      { ProductID: '112', VariantID: '201', Quantity: 2, ItemPrice: 59, RowTotal: 118, ProductName: 'Linen Shirt', VariantName: null, SKU: 'LS-M', ProductURL: null, ImageURL: null },
      { ProductID: '113', VariantID: '301', Quantity: 1, ItemPrice: 25, RowTotal: 25, ProductName: 'Canvas Tote', VariantName: null, SKU: 'CT', ProductURL: null, ImageURL: null },
    ]);
  });

  test('a customer becomes a profile with names and an E.164 phone', async () => {
    stub.state.customers.set(78, { ...customer(78), email: 'grace@example.com', first_name: 'Grace', last_name: 'Hopper', phone: '+14155550111' });
    await deliver('store/customer/created', { type: 'customer', id: 78 });
    const { rows } = await rt.db.pool.query('SELECT email, external_id, first_name, last_name, phone FROM profiles WHERE store_id = $1 AND external_id = $2', [store.id, '78']);
    assert.deepEqual(rows[0], { email: 'grace@example.com', external_id: '78', first_name: 'Grace', last_name: 'Hopper', phone: '+14155550111' });
  });

  test('catalog sync pages through Catalog v3 by product id and resumes from its cursor', async () => {
    stub.state.products.clear();
    for (const id of [1, 2, 3, 4, 5]) stub.state.products.set(id, { ...productTrackedProduct(id, id * 10), name: `Product ${id}` });
    await finishSync(rt.db.pool, store.id, null);
    await requestSync(rt.db.pool, store.id);
    assert.equal(await runCatalogSyncs(runtime), 1);
    const sync = await findSync(rt.db.pool, store.id);
    assert.deepEqual([sync?.status, sync?.pages, sync?.products], ['done', 3, 5]);
    const { rows } = await rt.db.pool.query("SELECT external_id, inventory_quantity FROM products WHERE store_id = $1 AND external_id IN ('1','2','3','4','5') ORDER BY external_id", [store.id]);
    assert.deepEqual(rows.map((r) => r.inventory_quantity), [10, 20, 30, 40, 50]);

    // A worker that died after storing the page ending at product 3 resumes after it.
    stub.state.seen.length = 0;
    await rt.db.pool.query("UPDATE catalog_syncs SET status = 'queued', cursor = '3' WHERE store_id = $1", [store.id]);
    assert.equal(await runCatalogSyncs(runtime), 1);
    const asked = stub.state.seen.filter((s) => s.path.endsWith('/v3/catalog/products')).map((s) => s.query.get('id:greater_than'));
    assert.deepEqual(asked, ['3']);
  });

  test('5xx answers are retried with backoff, and give up after the last retry', async () => {
    const api = createStoreApi(STORE_HASH, ACCESS_TOKEN, { apiBaseUrl: stub.url, retryBaseMs: 1, maxRetries: 2 });
    stub.state.products.set(9, productTrackedProduct(9, 1));
    stub.state.failures.set('/v3/catalog/products/9', [{ status: 503 }, { status: 500 }]);
    const body = (await api.call({ method: 'GET', path: '/v3/catalog/products/9' })) as { data: { id: number } };
    assert.equal(body.data.id, 9);
    stub.state.failures.set('/v3/catalog/products/9', [{ status: 502 }, { status: 502 }, { status: 502 }]);
    await assert.rejects(api.call({ method: 'GET', path: '/v3/catalog/products/9' }), (err) => err instanceof BigCommerceApiError && err.status === 502);
  });

  test('an unreachable API fails with an error that does not carry the token', async () => {
    const api = createStoreApi(STORE_HASH, ACCESS_TOKEN, { apiBaseUrl: 'http://127.0.0.1:1', retryBaseMs: 1, maxRetries: 1 });
    await assert.rejects(api.call({ method: 'GET', path: '/v2/store' }), (err) => {
      assert.ok(err instanceof BigCommerceApiError);
      assert.doesNotMatch(JSON.stringify({ ...err, message: err.message }), new RegExp(ACCESS_TOKEN));
      return true;
    });
  });

  test('the hook check reactivates hooks BigCommerce switched off, restores missing ones, and queues a reconciling sync', async () => {
    stub.state.hooks.length = 0;
    await connector.app.ensureHooks(connector.app.api(STORE_HASH, ACCESS_TOKEN), { refreshHeaders: true });
    stub.state.hooks.find((h) => h.scope === 'store/order/created')!.is_active = false;
    stub.state.hooks.splice(stub.state.hooks.findIndex((h) => h.scope === 'store/cart/updated'), 1);
    await finishSync(rt.db.pool, store.id, null);

    const result = await runConnectorJob(runtime, 'bigcommerce:hooks:check');
    assert.deepEqual(result, { checked: 1, repaired: 1, failed: 0 });
    assert.equal(stub.state.hooks.length, HOOK_SCOPES.length);
    assert.ok(stub.state.hooks.every((h) => h.is_active));
    assert.equal((await findSync(rt.db.pool, store.id))?.status, 'queued');

    await finishSync(rt.db.pool, store.id, null);
    assert.deepEqual(await runConnectorJob(runtime, 'bigcommerce:hooks:check'), { checked: 1, repaired: 0, failed: 0 }, 'healthy hooks are left alone');
    assert.equal((await findSync(rt.db.pool, store.id))?.status, 'done');
  });
});
