// Wix stock per location (Catalog V3: one inventory item per variant and location). The
// Inventory Item Updated event (test/fixtures/wix/real/v3-inventory-item-updated.json) is signed
// as Wix signs it, posted to the route and drained; the worker re-reads the product's inventory
// items and ingest keeps each location's stock. Leaving a location out changes the counted sum
// and the low-inventory threshold decision on it.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../src/web/app.ts';
import { drainWebhooks } from '../../src/jobs/process-webhooks.ts';
import { processTriggerQueue } from '../../src/flows/enter-flows.ts';
import { ingestEvents } from '../../src/ingest/ingest-events.ts';
import { ingestProfiles } from '../../src/ingest/ingest-profiles.ts';
import { installWixSite } from '../helpers/install.ts';
import { isWixConnector } from '../../connectors/wix/wix-connector.ts';
import { rotateKeys } from '../../src/stores/create-store.ts';
import type { ExternalProductId } from '../../src/model/ids.ts';
import type { Store } from '../../src/model/store.ts';
import { testRuntime, type TestRuntime } from '../helpers/db.ts';
import { defaultState, installWixStub, type StubState } from '../fixtures/wix/api-stub.ts';
import { V3_PRODUCT } from '../fixtures/wix/events.ts';
import { signWixJwt, wixEnv } from '../fixtures/wix/sign.ts';

const INSTANCE = '5d4c3b2a-1f0e-4d9c-8b7a-6e5f4d3c2b1a';
const REAL = join(import.meta.dirname, '..', 'fixtures', 'wix', 'real');
const documented = JSON.parse(readFileSync(join(REAL, 'v3-inventory-item-updated.json'), 'utf8')) as { eventType: string; data: Record<string, unknown> };

describe('Wix stock per location', () => {
  let rt: TestRuntime;
  let app: Express;
  let state: StubState;
  let restore: () => void;
  let store: Store;
  let auth: { Authorization: string };
  let sequence = 7;

  /** Stock at each location, as the stub's inventory items hold it: size S at main and warehouse, L at main. */
  const setStock = (s: { sMain: number; sWarehouse: number; lMain: number }) => {
    const [i1, i2, i3] = state.inventoryItems;
    Object.assign(i1!, { quantity: s.sMain });
    Object.assign(i2!, { quantity: s.sWarehouse });
    Object.assign(i3!, { quantity: s.lMain });
  };
  const deliver = async () => {
    // Each delivery is a new event: Wix gives each its own id.
    sequence++;
    const data = { ...documented.data, id: `0b8f2d4e-6a1c-4e3b-9d57-${String(sequence).padStart(12, '0')}`, entityEventSequence: String(sequence) };
    const res = await request(app).post('/webhooks/wix').set('Content-Type', 'text/plain').send(signWixJwt({ eventType: documented.eventType, instanceId: INSTANCE, data }));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.status, 'queued');
    assert.equal(await drainWebhooks(rt), 1);
  };
  const quantities = async () => {
    const p = await rt.db.pool.query<{ inventory_quantity: number }>('SELECT inventory_quantity FROM products WHERE store_id = $1 AND external_id = $2', [store.id, V3_PRODUCT]);
    const { rows } = await rt.db.pool.query<{ external_id: string; inventory_quantity: number }>(
      'SELECT v.external_id, v.inventory_quantity FROM variants v JOIN products p ON p.id = v.product_id WHERE p.store_id = $1 ORDER BY v.external_id',
      [store.id],
    );
    return { product: p.rows[0]?.inventory_quantity, variants: Object.fromEntries(rows.map((r) => [r.external_id, r.inventory_quantity])) };
  };
  const runs = async () => (await rt.db.pool.query('SELECT key FROM flow_runs WHERE store_id = $1', [store.id])).rows.length;

  before(async () => {
    rt = await testRuntime({ env: wixEnv });
    state = defaultState();
    state.catalogVersion = 'V3_CATALOG';
    state.instances.add(INSTANCE);
    restore = installWixStub(state);
    assert.ok(isWixConnector(rt.connectors.wix));
    store = await installWixSite({ pool: rt.db.pool, secrets: rt.secrets }, INSTANCE);
    // The API key a merchant would issue for the site's store.
    auth = { Authorization: `Bearer ${(await rotateKeys(rt.db.pool, store)).privateKey}` };
    app = createApp(rt);
  });
  after(async () => {
    restore();
    await rt.dispose();
  });

  test('the inventory item event stores each variant\'s stock at each location; every location counts at first', async () => {
    await deliver();
    assert.deepEqual(await quantities(), { product: 8, variants: { 'v3-var-l': 4, 'v3-var-s': 4 } });
    const { rows } = await rt.db.pool.query(
      `SELECT v.external_id AS variant, vl.location_id, vl.available FROM variant_locations vl JOIN variants v ON v.id = vl.variant_id
       WHERE vl.store_id = $1 ORDER BY v.external_id, vl.location_id`,
      [store.id],
    );
    assert.deepEqual(rows, [
      { variant: 'v3-var-l', location_id: 'loc-main', available: 4 },
      { variant: 'v3-var-s', location_id: 'loc-main', available: 1 },
      { variant: 'v3-var-s', location_id: 'loc-warehouse', available: 3 },
    ]);
    const res = await request(app).get('/api/v1/locations').set(auth);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.data.map((l: { locationId: string; counts: boolean; available: number }) => [l.locationId, l.counts, l.available]), [
      ['loc-main', true, 5],
      ['loc-warehouse', true, 3],
    ]);
  });

  test('leaving the warehouse out lowers the counted sum, and the threshold applies to that sum', async () => {
    await ingestProfiles(rt.db.pool, store.id, [{ email: 'viewer@example.com', consent: { email: 'subscribed' } }]);
    await ingestEvents(rt.db.pool, store.id, [
      { metric: 'Started Checkout', profile: { email: 'viewer@example.com' }, time: new Date(), value: 25, properties: {}, uniqueId: 'checkout-1',
        items: [{ productExternalId: V3_PRODUCT as ExternalProductId, variantExternalId: null, quantity: 1, price: 25 }] },
    ]);
    const flow = await request(app).post('/api/v1/flows').set(auth).send({
      preset: 'low-inventory', status: 'live',
      trigger: { type: 'low-inventory', level: 'product', threshold: 6, metrics: ['Started Checkout'], lookbackDays: 30, excludePurchasedWithinDays: 7 },
    });
    assert.equal(flow.status, 201, JSON.stringify(flow.body));

    // A sale at the main location with the warehouse counted: 8 → 7, above 6.
    setStock({ sMain: 0, sWarehouse: 3, lMain: 4 });
    await deliver();
    assert.deepEqual(await quantities(), { product: 7, variants: { 'v3-var-l': 4, 'v3-var-s': 3 } });
    await processTriggerQueue(rt.db.pool, { now: new Date() });
    assert.equal(await runs(), 0);

    const res = await request(app).patch('/api/v1/locations').set(auth).send({ locations: [{ locationId: 'loc-warehouse', counts: false }] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(await quantities(), { product: 4, variants: { 'v3-var-l': 4, 'v3-var-s': 0 } }, 'the warehouse\'s 3 no longer count, on the variant and the product');
    await processTriggerQueue(rt.db.pool, { now: new Date() });
    assert.equal(await runs(), 0, 'a recount is not a fall the source reported');

    // Restocked at main (counted 8), then a sale of two: counted 8 → 6 crosses the threshold,
    // while Wix's own total, warehouse included, falls 11 → 9 and would not.
    setStock({ sMain: 4, sWarehouse: 3, lMain: 4 });
    await deliver();
    assert.deepEqual(await quantities(), { product: 8, variants: { 'v3-var-l': 4, 'v3-var-s': 4 } });
    setStock({ sMain: 2, sWarehouse: 3, lMain: 4 });
    await deliver();
    assert.deepEqual(await quantities(), { product: 6, variants: { 'v3-var-l': 4, 'v3-var-s': 2 } });
    await processTriggerQueue(rt.db.pool, { now: new Date() });
    assert.equal(await runs(), 1, 'the counted sum fell through 6 while Wix\'s own total (9) did not');
  });
});
