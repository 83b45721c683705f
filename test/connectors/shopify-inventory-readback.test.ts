// inventory_levels/update reads the product back from the Admin API. Deliveries drained together
// share calls: one nodes() query carries the items the others name while one is in flight, an
// item named twice is asked for once, and an item Shopify no longer knows is ignored, not failed.
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
import { ENV, SHOP, postDelivery, productNode, signedDelivery, startAdminStub, type AdminStub } from '../fixtures/shopify/kit.ts';

const ITEM = (n: number) => `gid://shopify/InventoryItem/${n}`;
/** Inventory items 1 and 2 are variants of product 700; 3 is product 800's; 9 is unknown. */
const PRODUCT_OF: Record<string, string> = { [ITEM(1)]: '700', [ITEM(2)]: '700', [ITEM(3)]: '800' };

describe('Shopify inventory read-back', () => {
  let rt: TestRuntime;
  let app: Express;
  let store: Store;
  let stub: AdminStub;

  before(async () => {
    stub = await startAdminStub();
    stub.graphql.set('StoreflowInventoryItems', (body) => ({
      nodes: (body.variables?.ids as string[]).map((gid) => {
        const product = PRODUCT_OF[gid];
        if (!product) return null;
        const variants = product === '700' ? [{ id: '7001', qty: 4 }, { id: '7002', qty: 6 }] : [{ id: '8001', qty: 2 }];
        return { id: gid, variant: { product: productNode(product, variants) } };
      }),
    }));
    rt = await testRuntime({ env: ENV });
    app = createApp(rt);
    const created = await createStore(rt.db.pool, rt.secrets, { platform: 'shopify', domain: SHOP });
    store = await saveInstallation(rt.db.pool, created.store.id, { accessTokenSealed: rt.secrets.seal('shpat_readback'), scopes: [] });
  });
  after(async () => {
    await rt.dispose();
    await stub.close();
  });

  test('deliveries drained together share Admin API calls; an unknown item is ignored', async () => {
    const levels = [
      { item: 1, location: 1, available: 1 },
      { item: 1, location: 2, available: 3 },
      { item: 2, location: 1, available: 6 },
      { item: 3, location: 1, available: 2 },
      { item: 9, location: 1, available: 5 },
      { item: 3, location: 2, available: 0 },
    ];
    for (const l of levels) {
      const res = await postDelivery(
        request(app),
        signedDelivery('inventory_levels/update', {
          inventory_item_id: l.item,
          location_id: l.location,
          available: l.available,
          updated_at: '2026-11-20T11:00:00-05:00',
          admin_graphql_api_id: `gid://shopify/InventoryLevel/${l.location}?inventory_item_id=${l.item}`,
        }),
      );
      assert.equal(res.status, 200);
    }
    assert.equal(await drainWebhooks(rt), levels.length);

    const calls = stub.calls.filter((c) => c.body.query?.includes('StoreflowInventoryItems'));
    const asked = calls.map((c) => c.body.variables?.ids as string[]);
    assert.ok(calls.length < levels.length, `${calls.length} calls for ${levels.length} deliveries`);
    for (const ids of asked) assert.equal(new Set(ids).size, ids.length, `an item asked for twice in one call: ${ids.join(', ')}`);
    assert.deepEqual([...new Set(asked.flat())].sort(), [ITEM(1), ITEM(2), ITEM(3), ITEM(9)]);

    assert.equal((await findProductByExternalId(rt.db.pool, store.id, '700'))?.inventoryQuantity, 10);
    assert.equal((await findProductByExternalId(rt.db.pool, store.id, '800'))?.inventoryQuantity, 2);
    const { rows } = await rt.db.pool.query<{ outcome: string; last_error: string | null }>(
      "SELECT outcome, last_error FROM webhook_inbox WHERE payload->>'inventory_item_id' = '9'",
    );
    assert.equal(rows.length, 1);
    assert.match(rows[0]!.outcome, /^ignored: inventory item 9 has no product/);
    assert.equal(rows[0]!.last_error, null);
  });
});
