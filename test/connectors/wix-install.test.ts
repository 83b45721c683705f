// Wix install (installer redirect, callback, AppInstalled webhook), the catalog pull it queues,
// and the per-instance rate limit.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../src/web/app.ts';
import { runCatalogSyncs } from '../../src/jobs/sync-catalog.ts';
import { findSync } from '../../src/db/repositories/catalog-syncs.ts';
import { findStoreByShop } from '../../src/db/repositories/stores.ts';
import { fetchCatalogPages } from '../../connectors/wix/fetch-catalog.ts';
import { isWixConnector, type WixConnector } from '../../connectors/wix/wix-connector.ts';
import { throttledFetch, tokenBucket, type Clock } from '../../connectors/wix/rate-limit.ts';
import { testRuntime, type TestRuntime } from '../helpers/db.ts';
import { defaultState, installWixStub, v1Product, type StubState } from '../fixtures/wix/api-stub.ts';
import * as ev from '../fixtures/wix/events.ts';
import { signWixJwt, wixEnv } from '../fixtures/wix/sign.ts';

const NEW_INSTANCE = '1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d';

function fakeClock(): Clock & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    async sleep(ms) {
      slept.push(ms);
      now += ms;
    },
  };
}

describe('wix install and catalog sync', () => {
  let rt: TestRuntime;
  let app: Express;
  let state: StubState;
  let restore: () => void;
  let connector: WixConnector;

  before(async () => {
    rt = await testRuntime({ env: wixEnv });
    state = defaultState();
    state.instances.add(NEW_INSTANCE);
    // 150 products: two pages of the V1 query.
    state.v1Products = Array.from({ length: 150 }, (_, i) =>
      v1Product(`p-${String(i).padStart(4, '0')}`, `Product ${i}`, [{ id: ev.V1_PRODUCT.replace(/.$/, String(i % 10)), quantity: i % 7 }]),
    );
    restore = installWixStub(state);
    assert.ok(isWixConnector(rt.connectors.wix));
    connector = rt.connectors.wix;
    app = createApp(rt);
  });
  after(async () => {
    restore();
    await rt.dispose();
  });

  test('GET /wix/install sends the merchant to the Wix installer with a signed state bound to a cookie', async () => {
    const res = await request(app).get('/wix/install').query({ token: 'wix-install-token' });
    assert.equal(res.status, 302);
    const target = new URL(res.headers.location!);
    assert.equal(`${target.origin}${target.pathname}`, 'https://www.wix.com/installer/install');
    assert.equal(target.searchParams.get('appId'), wixEnv.WIX_APP_ID);
    assert.equal(target.searchParams.get('token'), 'wix-install-token');
    assert.equal(target.searchParams.get('redirectUrl'), 'https://storeflow.example.com/wix/callback');
    const cookie = String(res.headers['set-cookie']);
    assert.match(cookie, /sf_wix_install=[\w-]+;.*HttpOnly/);
    assert.equal(target.searchParams.get('state')!.split('.')[0], /sf_wix_install=([\w-]+)/.exec(cookie)![1]);
  });

  async function startInstall(): Promise<{ state: string; cookie: string }> {
    const res = await request(app).get('/wix/install');
    const cookie = /sf_wix_install=[\w-]+/.exec(String(res.headers['set-cookie']))![0];
    return { state: new URL(res.headers.location!).searchParams.get('state')!, cookie };
  }

  test('GET /wix/callback refuses a state it did not issue to this browser, and an instance Wix does not confirm', async () => {
    const { state: s, cookie } = await startInstall();
    const noCookie = await request(app).get('/wix/callback').query({ instanceId: ev.INSTANCE, state: s, code: 'c' });
    assert.equal(noCookie.status, 401);
    const forged = await request(app).get('/wix/callback').set('Cookie', cookie).query({ instanceId: ev.INSTANCE, state: `${s}x`, code: 'c' });
    assert.equal(forged.status, 401);
    const unknown = await request(app).get('/wix/callback').set('Cookie', cookie).query({ instanceId: '99999999-9999-4999-8999-999999999999', state: s, code: 'never-issued' });
    assert.equal(unknown.status, 401);
    assert.equal(await findStoreByShop(rt.db.pool, 'wix', '99999999-9999-4999-8999-999999999999'), undefined);
    const again = await startInstall();
    const bad = await request(app).get('/wix/callback').set('Cookie', again.cookie).query({ instanceId: 'not-a-guid', state: again.state, code: 'c' });
    assert.equal(bad.status, 400);
    const noCode = await request(app).get('/wix/callback').set('Cookie', again.cookie).query({ instanceId: ev.INSTANCE, state: again.state });
    assert.equal(noCode.status, 400, 'an instance id alone is no proof');
  });

  test('GET /wix/callback installs the instance Wix names for the code, shows the snippet and queues the first catalog sync', async () => {
    const { state: s, cookie } = await startInstall();
    state.installCodes.set('auth-code', { instanceId: ev.INSTANCE });
    const res = await request(app).get('/wix/callback').set('Cookie', cookie).query({ instanceId: ev.INSTANCE.toUpperCase(), state: s, code: 'auth-code' });
    assert.equal(res.status, 200, res.text);
    assert.ok(state.calls.includes('POST /oauth/access') && state.calls.includes('POST /oauth2/token-info'));
    const store = await findStoreByShop(rt.db.pool, 'wix', ev.INSTANCE);
    assert.ok(store);
    assert.equal(store.externalId, ev.INSTANCE);
    assert.ok(res.text.includes(`data-key=&#34;${store.publicKey}&#34;`));
    assert.equal((await findSync(rt.db.pool, store.id))?.status, 'queued');
  });

  test('the queued sync pulls the whole catalog page by page within the rate limit, riding out a 429', async () => {
    const store = (await findStoreByShop(rt.db.pool, 'wix', ev.INSTANCE))!;
    state.throttleNext = 1;
    assert.equal(await runCatalogSyncs(rt), 1);
    const sync = await findSync(rt.db.pool, store.id);
    assert.deepEqual([sync?.status, sync?.pages, sync?.products], ['done', 2, 150]);
    const { rows } = await rt.db.pool.query('SELECT count(*)::int AS n, sum(inventory_quantity)::int AS stock FROM products WHERE store_id = $1', [store.id]);
    const expected = Array.from({ length: 150 }, (_, i) => i % 7).reduce((a, b) => a + b, 0);
    assert.deepEqual(rows[0], { n: 150, stock: expected });
  });

  test('a sync resumes after the cursor of the last stored page', async () => {
    const pages = [];
    for await (const page of fetchCatalogPages(connector.api, ev.INSTANCE, 'v1:p-0099')) pages.push(page);
    assert.equal(pages.length, 1);
    assert.equal(pages[0]!.products.length, 50);
    assert.equal(pages[0]!.products[0]!.externalId, 'p-0100');
    assert.equal(pages[0]!.cursor, null);
  });

  test('the AppInstalled webhook installs an unknown instance once, and reactivates a removed one', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await request(app).post('/webhooks/wix').set('Content-Type', 'text/plain').send(signWixJwt(ev.appInstalled(NEW_INSTANCE)));
      assert.equal(res.status, 200);
      assert.equal(res.body.status, 'installed');
    }
    const { rows } = await rt.db.pool.query("SELECT id, status FROM stores WHERE platform = 'wix' AND external_id = $1", [NEW_INSTANCE]);
    assert.equal(rows.length, 1);
    assert.equal((await findSync(rt.db.pool, rows[0].id))?.status, 'queued');
    await rt.db.pool.query("UPDATE stores SET status = 'uninstalled' WHERE id = $1", [rows[0].id]);
    await request(app).post('/webhooks/wix').set('Content-Type', 'text/plain').send(signWixJwt(ev.appInstalled(NEW_INSTANCE))).expect(200);
    assert.equal((await rt.db.pool.query('SELECT status FROM stores WHERE id = $1', [rows[0].id])).rows[0].status, 'active');
    // A forged AppInstalled goes to the shared intake and is refused there.
    const forged = await request(app).post('/webhooks/wix').set('Content-Type', 'text/plain').send(signWixJwt(ev.appInstalled('2b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d'), { wrongKey: true }));
    assert.equal(forged.status, 401);
  });

  test('the token bucket lets a burst through, then spaces calls to the per-minute rate', async () => {
    const clock = fakeClock();
    const bucket = tokenBucket({ perMinute: 120, burst: 2, clock });
    for (let i = 0; i < 4; i++) await bucket.take();
    assert.deepEqual(clock.slept, [500, 500]);
  });

  test('a 429 is retried after Retry-After, and given up after a few tries', async () => {
    const clock = fakeClock();
    let calls = 0;
    const always429: typeof fetch = async () => {
      calls++;
      return new Response('{}', { status: 429, headers: { 'retry-after': '2' } });
    };
    const res = await throttledFetch(tokenBucket({ perMinute: 6000, burst: 10, clock }), always429, clock)('https://www.wixapis.com/x');
    assert.equal(res.status, 429);
    assert.equal(calls, 4);
    assert.deepEqual(clock.slept.filter((ms) => ms === 2000).length, 3);
  });
});
