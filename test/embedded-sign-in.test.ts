// Signing in inside each platform's admin iframe, through the real express app: the Shopify
// admin's launch (id_token) and App Bridge's bearer token, the BigCommerce load callback and the
// Wix dashboard page. Each valid launch reaches /app for its own store only, with a cookie made
// for an iframe and a frame-ancestors naming that store's admin; forged, stale or misdirected
// launches start nothing; the support console and the API still refuse to be framed.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../src/web/app.ts';
import { createStore } from '../src/stores/create-store.ts';
import { markUninstalled, saveInstallation } from '../src/db/repositories/stores.ts';
import { createFlow } from '../src/flows/flow-service.ts';
import { listStoreFlows } from '../src/flows/flow-service.ts';
import type { Store } from '../src/model/store.ts';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { csrfOf } from './helpers/browser-client.ts';
import { issueMerchantLogin } from '../src/accounts/merchant-accounts.ts';
import { API_KEY, ENV as SHOPIFY_ENV, SHOP } from './fixtures/shopify/kit.ts';
import { launchQuery, sessionToken } from './fixtures/shopify/session-token.ts';
import { CLIENT_ID, CLIENT_SECRET, STORE_HASH, signedPayloadJwt } from './fixtures/bigcommerce/payloads.ts';
import { wixEnv } from './fixtures/wix/sign.ts';
import { signedInstance } from './fixtures/wix/signed-instance.ts';

const OTHER_SHOP = 'second-shop.myshopify.com';
const NEW_SHOP = 'never-installed.myshopify.com';
const GONE_SHOP = 'uninstalled-shop.myshopify.com';
const OTHER_HASH = 'z9y8x7w6vu';
const WIX_SITE = '6f1d2c3b-4a59-4e8f-9a0b-1c2d3e4f5a6b';
const OTHER_WIX_SITE = '7a2e3d4c-5b6a-4f9e-8b1c-2d3e4f5a6b7c';
const APP_BRIDGE = 'https://cdn.shopify.com/shopifycloud/app-bridge.js';

type Res = request.Response;

const setCookies = (res: Res): string[] => ([] as string[]).concat(res.headers['set-cookie'] ?? []);
const appCookie = (res: Res): string | undefined => setCookies(res).find((c) => c.startsWith('sf_app='));
/** The cookie as a browser sends it back; supertest's agent would drop it, being Secure over http. */
const cookieHeader = (res: Res): string => {
  const c = appCookie(res);
  assert.ok(c, `no sf_app cookie in ${JSON.stringify(setCookies(res))}`);
  return c.split(';')[0]!;
};
const directive = (res: Res, name: string): string | undefined =>
  String(res.headers['content-security-policy'] ?? '')
    .split(';')
    .map((d) => d.trim())
    .find((d) => d.split(/\s+/)[0] === name);

function assertEmbeddedCookie(res: Res): void {
  const c = appCookie(res);
  assert.ok(c, 'a session cookie is set');
  for (const flag of [/HttpOnly/, /SameSite=None/, /Secure/, /Partitioned/, /Path=\/app/]) assert.match(c, flag);
}

function assertFramedOnlyBy(res: Res, origins: string[], where: string): void {
  assert.equal(directive(res, 'frame-ancestors'), `frame-ancestors ${origins.join(' ')}`, where);
  assert.equal(res.headers['x-frame-options'], undefined, `${where}: X-Frame-Options cannot name an allow-list, so it is dropped`);
}

function assertNotFramable(res: Res, where: string): void {
  assert.match(directive(res, 'frame-ancestors') ?? '', /^frame-ancestors ('self'|'none')$/, where);
  assert.ok(['SAMEORIGIN', 'DENY'].includes(String(res.headers['x-frame-options'])), where);
}

describe('sign-in inside the platform admins', () => {
  let rt: TestRuntime;
  let app: Express;
  const stores: Record<string, Store> = {};
  const sessionCount = async () => Number((await rt.db.pool.query('SELECT count(*) AS n FROM web_sessions')).rows[0].n);

  before(async () => {
    rt = await testRuntime({ env: { ...SHOPIFY_ENV, ...wixEnv, BIGCOMMERCE_CLIENT_ID: CLIENT_ID, BIGCOMMERCE_CLIENT_SECRET: CLIENT_SECRET } });
    app = createApp(rt);
    const make = async (key: string, platform: Store['platform'], domain: string, externalId?: string) => {
      let { store } = await createStore(rt.db.pool, rt.secrets, { platform, domain });
      if (externalId) store = await saveInstallation(rt.db.pool, store.id, { accessTokenSealed: null, scopes: [], externalId });
      stores[key] = store;
    };
    await make('shop', 'shopify', SHOP);
    await make('otherShop', 'shopify', OTHER_SHOP);
    await make('goneShop', 'shopify', GONE_SHOP);
    await markUninstalled(rt.db.pool, stores.goneShop!.id);
    await make('bc', 'bigcommerce', 'linen-and-co.example.com', STORE_HASH);
    await make('otherBc', 'bigcommerce', 'other-bc.example.com', OTHER_HASH);
    await make('wix', 'wix', WIX_SITE, WIX_SITE);
    await make('otherWix', 'wix', OTHER_WIX_SITE, OTHER_WIX_SITE);
    await make('custom', 'custom', 'custom.example');
  });
  after(async () => {
    await rt.dispose();
  });

  /** A flow of the store's own, whose page only that store's merchant may open. */
  async function flowOf(store: Store): Promise<string> {
    const created = await createFlow(rt.db.pool, store, { preset: 'welcome' }, { lowInventory: [] });
    assert.ok(created.ok);
    return created.flow.id;
  }

  describe('Shopify admin launch', () => {
    const launch = (query: Record<string, string>) => request(app).get('/app').query(query);

    test('a valid launch signs in to that shop only, with an iframe cookie, App Bridge and its admin as the only frame ancestor', async () => {
      const res = await launch(launchQuery(sessionToken()));
      assert.equal(res.status, 303, res.text);
      const onward = new URL(res.headers.location!, 'https://x');
      assert.equal(onward.pathname, '/app');
      assert.equal(onward.searchParams.get('id_token'), null, 'the one-minute token leaves the address bar');
      assert.equal(onward.searchParams.get('shop'), SHOP);
      assert.equal(onward.searchParams.get('embedded'), '1');
      assert.ok(onward.searchParams.get('host'));
      assertEmbeddedCookie(res);
      assertFramedOnlyBy(res, [`https://${SHOP}`, 'https://admin.shopify.com'], 'launch');

      const home = await request(app).get(res.headers.location!).set('Cookie', cookieHeader(res));
      assert.equal(home.status, 200);
      assert.match(home.text, new RegExp(`Get started with ${SHOP.replace(/\./g, '\\.')}`));
      assertFramedOnlyBy(home, [`https://${SHOP}`, 'https://admin.shopify.com'], '/app');
      assert.ok(home.text.includes(`<meta name="shopify-api-key" content="${API_KEY}">`));
      assert.ok(home.text.includes(`<script src="${APP_BRIDGE}"></script>`));
      assert.ok(home.text.indexOf(APP_BRIDGE) < home.text.indexOf('<script src="/assets'), 'App Bridge is the first script');
      assert.equal(directive(home, 'script-src'), `script-src 'self' ${APP_BRIDGE}`, 'exactly App Bridge is added, nothing else from outside');
      assert.doesNotMatch(home.text, /Sign out/, 'the admin signs in again at each launch');
    });

    const refused: Array<[string, Record<string, string>]> = [
      ['signed with another secret', launchQuery(sessionToken({ secret: 'not-our-secret' }))],
      ['expired', launchQuery(sessionToken({ expOffsetS: -60 }))],
      ['not valid yet', launchQuery(sessionToken({ nbfOffsetS: 120, expOffsetS: 180 }))],
      ['issued for another app (audience)', launchQuery(sessionToken({ aud: 'someone-elses-api-key' }))],
      ['issued by another shop’s admin', launchQuery(sessionToken({ iss: `https://${OTHER_SHOP}/admin` }))],
      ['with alg none', launchQuery(sessionToken({ alg: 'none' }))],
      ['for another shop than the query names', { ...launchQuery(sessionToken({ shop: OTHER_SHOP })), shop: SHOP }],
      ['that is not a JWT', launchQuery('not.a-jwt')],
    ];
    for (const [name, query] of refused) {
      test(`a launch token ${name} is refused with a readable page and starts no session`, async () => {
        const before = await sessionCount();
        const res = await launch(query);
        assert.equal(res.status, 401, name);
        assert.match(res.headers['content-type'] ?? '', /text\/html/);
        assert.match(res.text, /Open Storeflow again from your Shopify admin/);
        assert.equal(appCookie(res), undefined, 'no cookie');
        assert.equal(await sessionCount(), before, 'no session row');
        // Shown inside the admin rather than as a blocked frame; it names no store.
        assertFramedOnlyBy(res, ['https://admin.shopify.com'], name);
      });
    }

    test('a valid token for a shop without Storeflow is sent to install, framed by that shop’s admin, with no session', async () => {
      for (const shop of [NEW_SHOP, GONE_SHOP]) {
        const before = await sessionCount();
        const framed = await launch(launchQuery(sessionToken({ shop }), shop));
        assert.equal(framed.status, 404, shop);
        assert.match(framed.text, new RegExp(`Storeflow is not installed on ${shop.replace(/\./g, '\\.')}`));
        assert.ok(framed.text.includes(`href="https://storeflow.example.com/shopify/install?shop=${shop}" target="_top"`), framed.text);
        assertFramedOnlyBy(framed, [`https://${shop}`, 'https://admin.shopify.com'], shop);
        const top = await launch({ ...launchQuery(sessionToken({ shop }), shop), embedded: '0' });
        assert.equal(top.status, 303);
        assert.equal(top.headers.location, `/shopify/install?shop=${shop}`);
        assert.equal(appCookie(framed) ?? appCookie(top), undefined);
        assert.equal(await sessionCount(), before);
      }
    });

    test('a session from another shop’s launch cannot open this shop’s pages, and a cookie for one shop is overruled by a token for another', async () => {
      const flowA = await flowOf(stores.shop!);
      const b = await launch(launchQuery(sessionToken({ shop: OTHER_SHOP }), OTHER_SHOP));
      assert.equal(b.status, 303);
      const cookieB = cookieHeader(b);
      assert.equal((await request(app).get(`/app/flows/${flowA}`).set('Cookie', cookieB)).status, 404);
      const homeB = await request(app).get('/app').set('Cookie', cookieB);
      assert.match(homeB.text, /Get started with second-shop\.myshopify\.com/);
      assertFramedOnlyBy(homeB, [`https://${OTHER_SHOP}`, 'https://admin.shopify.com'], 'shop B home');

      const a = await launch(launchQuery(sessionToken()));
      const cookieA = cookieHeader(a);
      assert.equal((await request(app).get(`/app/flows/${flowA}`).set('Cookie', cookieA)).status, 200);
      // The bearer token speaks for the request: shop B's token with shop A's cookie is shop B.
      const mixed = await request(app).get(`/app/flows/${flowA}`).set('Cookie', cookieA).set('Authorization', `Bearer ${sessionToken({ shop: OTHER_SHOP })}`);
      assert.equal(mixed.status, 404);
      // And a bad token is refused outright rather than falling back to the cookie.
      const bad = await request(app).get(`/app/flows/${flowA}`).set('Cookie', cookieA).set('Authorization', `Bearer ${sessionToken({ expOffsetS: -60 })}`);
      assert.equal(bad.status, 401);
    });

    test('App Bridge’s bearer token authenticates /app requests without a cookie, for its own shop only; CSRF is not asked of it', async () => {
      const flowA = await flowOf(stores.shop!);
      const bearer = (shop = SHOP) => `Bearer ${sessionToken({ shop })}`;
      const page = await request(app).get(`/app/flows/${flowA}`).set('Authorization', bearer());
      assert.equal(page.status, 200);
      assert.equal(appCookie(page), undefined, 'a bearer request leaves no session behind');
      assertFramedOnlyBy(page, [`https://${SHOP}`, 'https://admin.shopify.com'], 'bearer page');
      assert.equal((await request(app).get(`/app/flows/${flowA}`).set('Authorization', bearer(OTHER_SHOP))).status, 404);
      for (const token of [sessionToken({ secret: 'nope' }), sessionToken({ aud: 'other' }), sessionToken({ expOffsetS: -60 }), sessionToken({ shop: NEW_SHOP })]) {
        const res = await request(app).get('/app').set('Authorization', `Bearer ${token}`);
        assert.equal(res.status, 401);
      }
      const before = (await listStoreFlows(rt.db.pool, stores.shop!)).length;
      const created = await request(app).post('/app/flows').set('Authorization', bearer()).type('form').send({ preset: 'birthday' });
      assert.equal(created.status, 303, created.text);
      assert.equal((await listStoreFlows(rt.db.pool, stores.shop!)).length, before + 1);
    });

    test('an embedded cookie session still needs the CSRF token on every post', async () => {
      const a = await launch(launchQuery(sessionToken()));
      const cookie = cookieHeader(a);
      const before = (await listStoreFlows(rt.db.pool, stores.shop!)).length;
      const noToken = await request(app).post('/app/flows').set('Cookie', cookie).type('form').send({ preset: 'welcome' });
      assert.equal(noToken.status, 403);
      const page = await request(app).get('/app/flows').set('Cookie', cookie);
      const ok = await request(app).post('/app/flows').set('Cookie', cookie).type('form').send({ preset: 'welcome', _csrf: csrfOf(page.text) });
      assert.equal(ok.status, 303);
      assert.equal((await listStoreFlows(rt.db.pool, stores.shop!)).length, before + 1);
    });
  });

  describe('BigCommerce control-panel load', () => {
    const load = (jwt: string) => request(app).get('/bigcommerce/load').query({ signed_payload_jwt: jwt });
    const panel = (hash: string) => [`https://store-${hash}.mybigcommerce.com`, 'https://login.bigcommerce.com'];

    test('a verified load signs in to that store only, inside its control panel', async () => {
      const res = await load(signedPayloadJwt());
      assert.equal(res.status, 303, res.text);
      assert.equal(res.headers.location, '/app');
      assertEmbeddedCookie(res);
      assertFramedOnlyBy(res, panel(STORE_HASH), 'load');
      const home = await request(app).get('/app').set('Cookie', cookieHeader(res));
      assert.equal(home.status, 200);
      assert.match(home.text, /Get started with linen-and-co\.example\.com/);
      assertFramedOnlyBy(home, panel(STORE_HASH), '/app');
      assert.ok(!home.text.includes(APP_BRIDGE), 'App Bridge only on Shopify pages');
      assert.equal(directive(home, 'script-src'), "script-src 'self'");
    });

    test('a forged, expired or misdirected payload starts no session', async () => {
      for (const jwt of [signedPayloadJwt({ secret: 'not-our-secret' }), signedPayloadJwt({ expOffsetS: -60 }), signedPayloadJwt({ aud: 'someone-else' }), signedPayloadJwt({ alg: 'none' })]) {
        const before = await sessionCount();
        const res = await load(jwt);
        assert.equal(res.status, 401);
        assert.equal(appCookie(res), undefined);
        assert.equal(await sessionCount(), before);
      }
    });

    test('another store’s load cannot open this store’s pages', async () => {
      const flowA = await flowOf(stores.bc!);
      const res = await load(signedPayloadJwt({ sub: `stores/${OTHER_HASH}` }));
      assert.equal(res.status, 303);
      const cookie = cookieHeader(res);
      assert.equal((await request(app).get(`/app/flows/${flowA}`).set('Cookie', cookie)).status, 404);
      const home = await request(app).get('/app').set('Cookie', cookie);
      assert.match(home.text, /Get started with other-bc\.example\.com/);
      assertFramedOnlyBy(home, panel(OTHER_HASH), 'other store');
    });
  });

  describe('Wix dashboard page', () => {
    const open = (instance: string) => request(app).get('/wix/dashboard').query({ instance, locale: 'en', viewMode: 'dashboard' });

    test('a fresh signed instance signs the owner in to that site only, framed by the Wix dashboard', async () => {
      const res = await open(signedInstance(WIX_SITE));
      assert.equal(res.status, 303, res.text);
      assert.equal(res.headers.location, '/app');
      assertEmbeddedCookie(res);
      assertFramedOnlyBy(res, ['https://manage.wix.com'], 'dashboard launch');
      const home = await request(app).get('/app').set('Cookie', cookieHeader(res));
      assert.equal(home.status, 200);
      assert.ok(home.text.includes(`Get started with ${WIX_SITE}`));
      assertFramedOnlyBy(home, ['https://manage.wix.com'], '/app');
    });

    const refused: Array<[string, () => string, number]> = [
      ['signed with another secret', () => signedInstance(WIX_SITE, { secret: 'not-our-secret' }), 401],
      ['whose data was swapped under a valid signature', () => `${signedInstance(OTHER_WIX_SITE).split('.')[0]}.${signedInstance(WIX_SITE).split('.')[1]}`, 401],
      ['signed 20 minutes ago', () => signedInstance(WIX_SITE, { signDate: new Date(Date.now() - 20 * 60_000) }), 401],
      ['signed in the future', () => signedInstance(WIX_SITE, { signDate: new Date(Date.now() + 10 * 60_000) }), 401],
      ['for an anonymous visitor', () => signedInstance(WIX_SITE, { uid: null, aid: 'a1b2c3' }), 401],
      ['for someone who is not the owner', () => signedInstance(WIX_SITE, { permissions: null }), 401],
      ['issued for another app', () => signedInstance(WIX_SITE, { extra: { appDefId: '00000000-0000-4000-8000-000000000000' } }), 401],
      ['that is not an instance', () => 'garbage', 401],
      ['for a site without Storeflow', () => signedInstance('99999999-9999-4999-8999-999999999999'), 404],
    ];
    for (const [name, make, status] of refused) {
      test(`an instance ${name} is refused and starts no session`, async () => {
        const before = await sessionCount();
        const res = await open(make());
        assert.equal(res.status, status, res.text);
        assert.equal(appCookie(res), undefined);
        assert.equal(await sessionCount(), before);
      });
    }

    test('another site’s launch cannot open this site’s pages', async () => {
      const flowA = await flowOf(stores.wix!);
      const res = await open(signedInstance(OTHER_WIX_SITE));
      const cookie = cookieHeader(res);
      assert.equal((await request(app).get(`/app/flows/${flowA}`).set('Cookie', cookie)).status, 404);
      assert.equal((await request(app).get(`/app/flows/${flowA}`).set('Cookie', cookieHeader(await open(signedInstance(WIX_SITE))))).status, 200);
    });
  });

  test('the support console, the API, sign-in pages and password sessions still refuse every frame', async () => {
    const email = 'owner@custom.example';
    const { password } = await issueMerchantLogin(rt.db.pool, stores.custom!.id, email);
    // By hand: APP_URL is https here, so the cookies are Secure and supertest's agent keeps them to itself.
    const form = await request(app).get('/app/login');
    const signedIn = await request(app).post('/app/login').set('Cookie', cookieHeader(form)).type('form').send({ _csrf: csrfOf(form.text), email, password });
    assert.equal(signedIn.status, 303);
    assert.match(appCookie(signedIn)!, /SameSite=Lax/);
    assert.doesNotMatch(appCookie(signedIn)!, /Partitioned|SameSite=None/);
    const passwordHome = await request(app).get('/app').set('Cookie', cookieHeader(signedIn));
    assert.equal(passwordHome.status, 200);
    assertNotFramable(passwordHome, 'password session /app');
    const { privateKey } = await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: 'api.example' });
    const pages: Array<[string, Res]> = [
      ['/support/login', await request(app).get('/support/login')],
      ['/support', await request(app).get('/support')],
      ['/app/login', await request(app).get('/app/login')],
      ['/api/v1/catalog/products', await request(app).get('/api/v1/catalog/products').set('Authorization', `Bearer ${privateKey}`)],
      ['/healthz', await request(app).get('/healthz')],
      ['/wix/dashboard (no instance)', await request(app).get('/wix/dashboard')],
    ];
    for (const [where, res] of pages) assertNotFramable(res, where);
  });
});
