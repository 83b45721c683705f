// Fault drill: a platform delivering the same signed webhook ten times at once (its retries racing
// a slow acknowledgement) over real HTTP, then two workers draining together. One inbox row and
// one applied result: the dedupe rests on the unique key, not on timing.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type WebServer } from '../src/web/server.ts';
import { createStore } from '../src/stores/create-store.ts';
import { saveInstallation } from '../src/db/repositories/stores.ts';
import { drainWebhooks } from '../src/jobs/process-webhooks.ts';
import { installWixSite } from './helpers/install.ts';
import { isWixConnector } from '../connectors/wix/wix-connector.ts';
import type { Store } from '../src/model/store.ts';
import type { WebhookRequest } from '../connectors/connector.ts';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { countRows, httpRequest } from './helpers/drill.ts';
import { ENV as SHOPIFY_ENV, SHOP, fixture, signedDelivery } from './fixtures/shopify/kit.ts';
import { wixEnv, signWixJwt, wixRequest } from './fixtures/wix/sign.ts';
import { defaultState, installWixStub } from './fixtures/wix/api-stub.ts';
import * as wixEvents from './fixtures/wix/events.ts';

describe('the same signed webhook delivered 10 times concurrently', () => {
  let rt: TestRuntime;
  let web: WebServer;
  let shopify: Store;
  let wix: Store;
  let restoreWix: () => void;

  before(async () => {
    rt = await testRuntime({ env: { ...SHOPIFY_ENV, ...wixEnv } });
    const created = await createStore(rt.db.pool, rt.secrets, { platform: 'shopify', domain: SHOP });
    shopify = await saveInstallation(rt.db.pool, created.store.id, { accessTokenSealed: rt.secrets.seal('shpat_drill'), scopes: [] });
    restoreWix = installWixStub(defaultState());
    assert.ok(isWixConnector(rt.connectors.wix));
    wix = await installWixSite({ pool: rt.db.pool, secrets: rt.secrets }, wixEvents.INSTANCE);
    web = await startServer(rt, 0);
  });
  after(async () => {
    await web?.stop();
    restoreWix?.();
    await rt?.dispose();
  });

  async function deliverTenTimes(platform: string, d: WebhookRequest, contentType: string): Promise<string[]> {
    const headers: Record<string, string> = { 'content-type': contentType };
    for (const [k, v] of Object.entries(d.headers)) if (typeof v === 'string') headers[k] = v;
    const answers = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const res = await httpRequest(`http://127.0.0.1:${web.port}/webhooks/${platform}`, { method: 'POST', headers, body: d.rawBody });
        assert.equal(res.status, 200, res.text);
        return (JSON.parse(res.text) as { status: string }).status;
      }),
    );
    // Two workers drain at once, as two worker processes would.
    await Promise.all([drainWebhooks(rt), drainWebhooks(rt)]);
    return answers.sort();
  }

  test('Shopify orders/create: one inbox row, one Placed Order, one Ordered Product per line', async () => {
    const answers = await deliverTenTimes('shopify', signedDelivery('orders/create', fixture('orders-create')), 'application/json');
    assert.deepEqual(answers, [...Array<string>(9).fill('duplicate'), 'queued']);
    assert.equal(await countRows(rt.db.pool, 'webhook_inbox', shopify.id), 1);
    const { rows } = await rt.db.pool.query<{ metric: string; n: number }>(
      'SELECT metric, count(*)::int AS n FROM events WHERE store_id = $1 GROUP BY metric ORDER BY metric',
      [shopify.id],
    );
    assert.deepEqual(rows, [
      { metric: 'Ordered Product', n: 2 },
      { metric: 'Placed Order', n: 1 },
    ]);
    const inbox = await rt.db.pool.query<{ processed: boolean; last_error: string | null }>('SELECT processed_at IS NOT NULL AS processed, last_error FROM webhook_inbox WHERE store_id = $1', [shopify.id]);
    assert.deepEqual(inbox.rows, [{ processed: true, last_error: null }]);
  });

  test('Wix order created (a JWT body): one inbox row, one Placed Order', async () => {
    const answers = await deliverTenTimes('wix', wixRequest(signWixJwt(wixEvents.orderCreated)), 'text/plain');
    assert.equal(answers.filter((a) => a === 'queued').length, 1);
    assert.equal(answers.filter((a) => a === 'duplicate').length, 9);
    assert.equal(await countRows(rt.db.pool, 'webhook_inbox', wix.id), 1);
    const { rows } = await rt.db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM events WHERE store_id = $1 AND metric = 'Placed Order'", [wix.id]);
    assert.equal(rows[0]!.n, 1);
  });
});
