// BigCommerce's own documented callback payloads (test/fixtures/bigcommerce/real, sources in its
// SOURCES.md) through the shared contract: signed, posted to the route, drained by the worker
// against a stub serving the objects they point at, and checked in the stored rows.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createBigCommerceConnector } from '../../connectors/bigcommerce/bigcommerce-connector.ts';
import { runConnectorContract, type SignedDelivery } from './contract.ts';
import { startBigCommerceStub } from '../fixtures/bigcommerce/stub-api.ts';
import { ACCESS_TOKEN, CLIENT_ID, CLIENT_SECRET, STORE_HASH, cart, customer, order, productTrackedProduct, signedRequest, variantTrackedProduct } from '../fixtures/bigcommerce/payloads.ts';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'bigcommerce', 'real');
const documented = (file: string) => JSON.parse(readFileSync(join(DIR, file), 'utf8').replaceAll('{store_hash}', STORE_HASH)) as { scope: string };

const stub = await startBigCommerceStub({ storeHash: STORE_HASH, token: ACCESS_TOKEN });
stub.state.products.set(205, { ...productTrackedProduct(205, 12), name: 'Documented Product 205' });
stub.state.products.set(167, productTrackedProduct(167, 40));
const withSku509 = variantTrackedProduct(206, [5, 8]);
withSku509.variants = withSku509.variants.map((v, i) => ({ ...v, id: i === 0 ? 509 : 510, product_id: 206 }));
stub.state.products.set(206, withSku509);
// The documented stock_changed names variant 127 of product 113 at location 2.
const withVariant127 = variantTrackedProduct(113, [6, 2]);
withVariant127.variants = withVariant127.variants.map((v, i) => ({ ...v, id: i === 0 ? 127 : 128, product_id: 113 }));
stub.state.products.set(113, withVariant127);
const theCart = cart('09346904-4175-44fd-be53-f7e598531b6c');
stub.state.carts.set(theCart.id, theCart);
stub.state.orders.set(250, order(250));
stub.state.orders.set(173331, order(173331));
stub.state.customers.set(32, { ...customer(32), email: 'documented.customer@example.com' });

const kinds: Record<string, SignedDelivery['kinds']> = {
  'product-updated.json': ['catalog'],
  'product-inventory-updated.json': ['catalog'],
  'sku-inventory-updated.json': ['catalog'],
  'cart-created.json': ['events'],
  'order-created.json': ['events'],
  'order-status-updated.json': ['events'],
  'customer-created.json': ['profiles'],
  'cart-converted.json': ['ignored'],
  'price-list-records-created.json': ['ignored'],
  'inventory-stock-changed.json': ['catalog'],
  'inventory-location-created.json': ['ignored'],
  // Last: it deletes the product the first one updated.
  'product-deleted.json': ['product-deleted'],
};
assert.deepEqual(Object.keys(kinds).sort(), readdirSync(DIR).filter((f) => f.endsWith('.json')).sort(), 'every documented payload is in the list');

runConnectorContract({
  platform: 'bigcommerce',
  connector: () =>
    createBigCommerceConnector({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, appUrl: 'https://storeflow.example.com', apiBaseUrl: stub.url, retryBaseMs: 1 }),
  store: { domain: 'documented.example.com', externalId: STORE_HASH, accessToken: ACCESS_TOKEN },
  setup: async () => () => stub.close(),
  deliveries: Object.entries(kinds).map(([file, k]) => {
    const body = documented(file);
    return { name: `documented ${file}`, topic: body.scope, kinds: k, request: () => signedRequest(body) };
  }),
  async afterDrain(rt, store) {
    const q = async (sql: string) => (await rt.db.pool.query(sql, [store.id])).rows;
    // The documented delete of 205 carries the documented created_at (2019), older than our read
    // of 205 after its update, so it is a stale delete and the product stays: deletes are ordered
    // by the platform's time.
    assert.deepEqual(await q("SELECT external_id, inventory_tracking, inventory_quantity, deleted_at IS NOT NULL AS deleted FROM products WHERE store_id = $1 ORDER BY external_id"), [
      { external_id: '113', inventory_tracking: 'variant', inventory_quantity: 8, deleted: false },
      { external_id: '167', inventory_tracking: 'product', inventory_quantity: 40, deleted: false },
      { external_id: '205', inventory_tracking: 'product', inventory_quantity: 12, deleted: false },
      { external_id: '206', inventory_tracking: 'variant', inventory_quantity: 13, deleted: false },
    ]);
    assert.deepEqual((await q("SELECT external_id FROM variants WHERE store_id = $1 AND product_id = (SELECT id FROM products WHERE store_id = $1 AND external_id = '206') ORDER BY external_id")).map((r) => r.external_id), ['509', '510']);
    const events = await q('SELECT metric, count(*)::int AS n FROM events WHERE store_id = $1 GROUP BY metric ORDER BY metric');
    assert.deepEqual(events, [
      { metric: 'Added to Cart', n: 1 },
      { metric: 'Ordered Product', n: 4 },
      { metric: 'Placed Order', n: 2 },
    ], 'cart 09346904…, and orders 250 and 173331 (the status update without created_at)');
    assert.equal((await q("SELECT 1 FROM profiles WHERE store_id = $1 AND email = 'documented.customer@example.com'")).length, 1);
  },
});
