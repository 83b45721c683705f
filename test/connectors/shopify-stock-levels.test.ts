// inventory_levels/update without a read-back: the first report of an item reads its product
// back once, and the read lists every location stocking it; from then on each report is applied
// as it came (the variant holds the sum of its latest level per counted location), so a bulk
// stock change costs no Admin API calls. A late or repeated report changes nothing, workers
// applying reports for one variant at once lose none, and an item whose read listed as many
// locations as were asked for (there may be more) keeps being read back.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../src/web/app.ts';
import { createStore } from '../../src/stores/create-store.ts';
import { saveInstallation } from '../../src/db/repositories/stores.ts';
import { findProductByExternalId } from '../../src/db/repositories/catalog.ts';
import { drainWebhooks } from '../../src/jobs/process-webhooks.ts';
import type { Store } from '../../src/model/store.ts';
import { testRuntime, type TestRuntime } from '../helpers/db.ts';
import { ENV, SHOP, postDelivery, productNode, realFixture, signedDelivery, startAdminStub, type AdminStub } from '../fixtures/shopify/kit.ts';

// The real sample's inventory item (past 2^53) and location.
const ITEM = '271878346596884015';
const WAREHOUSE = '24826418';
const COUNTER = '905684977';
const PRODUCT = '632910392';
const VARIANT = '808950810';
/** An item stocked at more locations than a read-back lists. */
const WIDE_ITEM = '39072856';
const WIDE_PRODUCT = '921728736';
const WIDE_VARIANT = '457924702';

describe('Shopify stock reports applied without a read-back', () => {
  let rt: TestRuntime;
  let app: Express;
  let store: Store;
  let stub: AdminStub;
  const reads = () => stub.calls.filter((c) => c.body.query?.includes('StoreflowInventoryItems')).length;

  /** The real sample for `item` at `location`, dated `at`. */
  const report = (available: number, opts: { location?: string; item?: string; at?: Date } = {}) => {
    const item = opts.item ?? ITEM;
    const location = opts.location ?? WAREHOUSE;
    const body = realFixture('inventory_levels/update')
      .replace('"available": 6', `"available": ${available}`)
      .replace('"2021-12-31T19:00:00-05:00"', JSON.stringify((opts.at ?? new Date()).toISOString()))
      .replaceAll(ITEM, item)
      .replaceAll(WAREHOUSE, location);
    return signedDelivery('inventory_levels/update', body);
  };
  const send = async (delivery: ReturnType<typeof report>) => assert.equal((await postDelivery(request(app), delivery)).status, 200);
  const stock = async (product = PRODUCT) => {
    const p = await findProductByExternalId(rt.db.pool, store.id, product);
    return { product: p?.inventoryQuantity, variant: p?.variants[0]?.inventoryQuantity };
  };

  before(async () => {
    stub = await startAdminStub();
    stub.graphql.set('StoreflowInventoryItems', (body) => ({
      nodes: (body.variables?.ids as string[]).map((gid) => {
        if (gid.endsWith(WIDE_ITEM)) {
          // Ten levels, as many as asked for: there may be more locations than these.
          const levels = Array.from({ length: 10 }, (_, i) => ({ location: { id: `gid://shopify/Location/${i + 1}`, name: `L${i + 1}` }, quantities: [{ name: 'available', quantity: 1 }] }));
          return { id: gid, inventoryLevels: { nodes: levels }, variant: { legacyResourceId: WIDE_VARIANT, product: productNode(WIDE_PRODUCT, [{ id: WIDE_VARIANT, qty: 12 }]) } };
        }
        return {
          id: gid,
          inventoryLevels: {
            nodes: [
              { location: { id: `gid://shopify/Location/${WAREHOUSE}`, name: 'Warehouse' }, quantities: [{ name: 'available', quantity: 6 }] },
              { location: { id: `gid://shopify/Location/${COUNTER}`, name: 'Shop counter' }, quantities: [{ name: 'available', quantity: 4 }] },
            ],
          },
          variant: { legacyResourceId: VARIANT, product: productNode(PRODUCT, [{ id: VARIANT, qty: 10 }]) },
        };
      }),
    }));
    rt = await testRuntime({ env: ENV });
    app = createApp(rt);
    const created = await createStore(rt.db.pool, rt.secrets, { platform: 'shopify', domain: SHOP });
    store = await saveInstallation(rt.db.pool, created.store.id, { accessTokenSealed: rt.secrets.seal('shpat_levels'), scopes: [] });
  });
  after(async () => {
    await rt.dispose();
    await stub.close();
  });

  test('the first report reads the item back once; later ones are summed with the stored levels', async () => {
    await send(report(6));
    assert.equal(await drainWebhooks(rt), 1);
    assert.equal(reads(), 1);
    assert.deepEqual(await stock(), { product: 10, variant: 10 });

    // A sale at the warehouse, then a restock at the counter: no more Admin API calls.
    await send(report(5));
    assert.equal(await drainWebhooks(rt), 1);
    await send(report(9, { location: COUNTER }));
    assert.equal(await drainWebhooks(rt), 1);
    assert.equal(reads(), 1, 'a report of an item whose locations are known is applied as it came');
    assert.deepEqual(await stock(), { product: 14, variant: 14 });

    const { rows } = await rt.db.pool.query(
      `SELECT o.level, o.old_quantity, o.new_quantity, (q.observation_id IS NOT NULL) AS queued
       FROM inventory_observations o LEFT JOIN flow_trigger_queue q ON q.store_id = o.store_id AND q.observation_id = o.id
       WHERE o.store_id = $1 ORDER BY o.id`,
      [store.id],
    );
    assert.deepEqual(
      rows.filter((r) => r.level === 'variant').map((r) => [r.old_quantity, r.new_quantity, r.queued]),
      [[null, 10, false], [10, 9, true], [9, 14, true]],
      'each change is recorded and reaches the flow triggers as a read-back change would',
    );
    const outcomes = await rt.db.pool.query("SELECT outcome FROM webhook_inbox WHERE store_id = $1 ORDER BY id", [store.id]);
    assert.match(outcomes.rows.at(-1).outcome, /^stock levels: 1 applied/);
  });

  test('a report older than the stored level, or delivered again, changes nothing', async () => {
    const before = await stock();
    await send(report(0, { at: new Date(Date.now() - 3_600_000) }));
    const again = report(3);
    await send(again);
    await send(again);
    assert.ok((await drainWebhooks(rt)) >= 2);
    assert.deepEqual(await stock(), { product: before.variant! - 5 + 3, variant: before.variant! - 5 + 3 }, 'the late 0 is ignored; the 3 counts once');
  });

  test('workers applying reports of one variant at two locations at once lose none of them', async () => {
    // Reports at both locations, newer each time; four workers take them one by one at once.
    const start = Date.now() + 1000;
    for (let i = 0; i < 40; i++) await send(report(100 + i, { location: i % 2 ? COUNTER : WAREHOUSE, at: new Date(start + i) }));
    await Promise.all(Array.from({ length: 4 }, () => drainWebhooks(rt, { batch: 1 })));
    assert.deepEqual(await stock(), { product: 138 + 139, variant: 138 + 139 }, 'each location holds its last report, and the variant their sum');
  });

  test('an item whose read listed as many locations as asked for keeps being read back', async () => {
    await send(report(2, { item: WIDE_ITEM, location: '1' }));
    assert.equal(await drainWebhooks(rt), 1);
    const after = reads();
    await send(report(3, { item: WIDE_ITEM, location: '1' }));
    assert.equal(await drainWebhooks(rt), 1);
    assert.equal(reads(), after + 1, 'locations beyond the tenth are unknown, so the product is read whole');
    assert.deepEqual(await stock(WIDE_PRODUCT), { product: 12, variant: 12 }, 'the read-back total stands');
  });
});
