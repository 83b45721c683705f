// The catalog pull through the Admin GraphQL API: pages walked by cursor, variants past the
// first page fetched, stock summed per product, throttling waited out, and a crashed sync
// resumed from its stored cursor. The Admin API is a local stub.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createStore } from '../../src/stores/create-store.ts';
import { saveInstallation } from '../../src/db/repositories/stores.ts';
import { findSync, requestSync } from '../../src/db/repositories/catalog-syncs.ts';
import { findProductByExternalId } from '../../src/db/repositories/catalog.ts';
import { runCatalogSyncs } from '../../src/jobs/sync-catalog.ts';
import type { Store } from '../../src/model/store.ts';
import { encodeGrant } from '../../connectors/shopify/credentials.ts';
import { testRuntime, type TestRuntime } from '../helpers/db.ts';
import { ENV, SHOP, productNode, startAdminStub, type AdminStub } from '../fixtures/shopify/kit.ts';

describe('Shopify catalog sync', () => {
  let rt: TestRuntime;
  let stub: AdminStub;
  let store: Store;
  const pageRequests = () => stub.calls.filter((c) => /StoreflowCatalogPage/.test(c.body.query ?? ''));

  before(async () => {
    rt = await testRuntime({ env: ENV });
    stub = await startAdminStub();
    const created = await createStore(rt.db.pool, rt.secrets, { platform: 'shopify', domain: SHOP });
    const grant = encodeGrant({ accessToken: 'shpat_sync', expiresAt: new Date(Date.now() + 3600_000), refreshToken: 'shprt_sync', refreshTokenExpiresAt: null });
    store = await saveInstallation(rt.db.pool, created.store.id, { accessTokenSealed: rt.secrets.seal(grant), scopes: [] });
    stub.graphql.set('StoreflowCatalogPage', (body) => {
      const after = (body as { variables?: { after?: string | null } }).variables?.after ?? null;
      if (after === null) {
        return {
          products: {
            pageInfo: { hasNextPage: true, endCursor: 'cursor-page-1' },
            nodes: [
              productNode('1001', [{ id: '2001', qty: 5 }, { id: '2002', qty: 7 }, { id: '2003', qty: 100, tracked: false }]),
              productNode('1002', [{ id: '2004', qty: 1 }], true),
            ],
          },
        };
      }
      return { products: { pageInfo: { hasNextPage: false, endCursor: 'cursor-page-2' }, nodes: [productNode('1003', [{ id: '2009', qty: 0, tracked: false }])] } };
    });
    stub.graphql.set('StoreflowMoreVariants', () => ({
      product: { variants: { pageInfo: { hasNextPage: false, endCursor: null }, nodes: productNode('x', [{ id: '2005', qty: 2 }, { id: '2006', qty: 3 }]).variants.nodes } },
    }));
  });
  after(async () => {
    await stub.close();
    await rt.dispose();
  });

  test('pulls every page, waits out throttling, and stores products with stock summed over variants', async () => {
    await requestSync(rt.db.pool, store.id);
    stub.throttleNext(2);
    assert.equal(await runCatalogSyncs(rt), 1);
    assert.equal(pageRequests().length, 4, 'two throttled answers retried, then both pages');
    const sync = await findSync(rt.db.pool, store.id);
    assert.deepEqual([sync?.status, sync?.pages, sync?.products, sync?.lastError], ['done', 2, 3, null]);
    assert.equal(stub.calls.filter((c) => c.path.endsWith('/graphql.json')).every((c) => c.path === '/admin/api/2026-01/graphql.json'), true);

    const a = await findProductByExternalId(rt.db.pool, store.id, '1001');
    assert.equal(a?.inventoryTracking, 'variant');
    assert.equal(a?.inventoryQuantity, 12, 'untracked variants do not count');
    assert.equal(a?.url, `https://${SHOP}/products/product-1001`);
    assert.equal(a?.imageUrl, 'https://cdn.shopify.com/s/files/1001.png');
    const b = await findProductByExternalId(rt.db.pool, store.id, '1002');
    assert.deepEqual(b?.variants.map((v) => v.externalId).sort(), ['2004', '2005', '2006']);
    assert.equal(b?.inventoryQuantity, 6);
    const c = await findProductByExternalId(rt.db.pool, store.id, '1003');
    assert.deepEqual([c?.inventoryTracking, c?.inventoryQuantity], ['none', null]);
  });

  test('a sync whose worker died resumes after the last stored page', async () => {
    await rt.db.pool.query(
      "UPDATE catalog_syncs SET status = 'running', cursor = 'cursor-page-1', heartbeat_at = now() - interval '1 hour' WHERE store_id = $1",
      [store.id],
    );
    const before = pageRequests().length;
    assert.equal(await runCatalogSyncs(rt, { staleAfterMs: 60_000 }), 1);
    const resumed = pageRequests().slice(before);
    assert.deepEqual(resumed.map((c) => c.body.variables?.after), ['cursor-page-1']);
    assert.equal((await findSync(rt.db.pool, store.id))?.status, 'done');
  });
});
