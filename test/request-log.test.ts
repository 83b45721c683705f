// The whole log of a run at LOG_LEVEL=trace, through the real logger and the real express app:
// merchant and support sign-ins, a launch from each platform's admin, the Shopify install
// callback, App Bridge and API bearer tokens, a signed webhook and the /u/, /o/ and /c/ message
// links. Not one of the secrets those requests carried or set may appear anywhere in it.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import request from 'supertest';
import type { Express } from 'express';
import { boot } from '../src/boot.ts';
import type { Runtime } from '../src/runtime.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { createApp } from '../src/web/app.ts';
import { createStore } from '../src/stores/create-store.ts';
import { saveInstallation } from '../src/db/repositories/stores.ts';
import { issueMerchantLogin } from '../src/accounts/merchant-accounts.ts';
import { clickUrl, messageLinkKey, openUrl, unsubscribeUrl } from '../src/messaging/links.ts';
import { MessageId, ProfileId } from '../src/model/ids.ts';
import { createTestDatabase } from './helpers/db.ts';
import { csrfOf } from './helpers/browser-client.ts';
import { API_SECRET, ENV as SHOPIFY_ENV, SHOP, postDelivery, signedDelivery, startAdminStub, type AdminStub } from './fixtures/shopify/kit.ts';
import { launchQuery, sessionToken } from './fixtures/shopify/session-token.ts';
import { CLIENT_ID, CLIENT_SECRET, STORE_HASH, signedPayloadJwt } from './fixtures/bigcommerce/payloads.ts';
import { wixEnv } from './fixtures/wix/sign.ts';
import { signedInstance } from './fixtures/wix/signed-instance.ts';

const WIX_SITE = '6f1d2c3b-4a59-4e8f-9a0b-1c2d3e4f5a6b';
const SUPPORT = { email: 'log-admin@support.example', password: 'support-password-in-no-log-1' };

type Res = request.Response;

describe('the log of a run', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataDir: string;
  let rt: Runtime;
  let app: Express;
  let stub: AdminStub;
  let log = '';
  /** Every secret a request carried or a response set, with where it came from. */
  const secrets = new Map<string, string>();
  const secret = (where: string, value: string | undefined | null) => {
    assert.ok(value && value.length >= 8, `${where}: a secret to look for`);
    secrets.set(value, where);
    if (encodeURIComponent(value) !== value) secrets.set(encodeURIComponent(value), `${where} (as in a URL)`);
    // A JWT's signature alone is what makes a forged one pass: look for it on its own too.
    const parts = value.split('.');
    if (parts.length === 3 && parts[2]!.length >= 16) secrets.set(parts[2]!, `${where} (signature)`);
  };
  const cookiesOf = (where: string, res: Res): string => {
    const set = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
    for (const c of set) {
      const value = c.split(';')[0]!.split('=').slice(1).join('=');
      if (value) secret(`${where}: cookie ${c.split('=')[0]}`, decodeURIComponent(value));
    }
    return set.map((c) => c.split(';')[0]).join('; ');
  };

  before(async () => {
    database = await createTestDatabase();
    dataDir = await mkdtemp(join(tmpdir(), 'storeflow-log-'));
    const config = loadConfig({
      NODE_ENV: 'test',
      DATA_DIR: dataDir,
      DATABASE_URL: database.url,
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      LOG_LEVEL: 'trace',
      SUPPORT_BOOTSTRAP_EMAIL: SUPPORT.email,
      SUPPORT_BOOTSTRAP_PASSWORD: SUPPORT.password,
      BIGCOMMERCE_CLIENT_ID: CLIENT_ID,
      BIGCOMMERCE_CLIENT_SECRET: CLIENT_SECRET,
      ...SHOPIFY_ENV,
      ...wixEnv,
    });
    const out = new PassThrough();
    out.on('data', (d: Buffer) => (log += d.toString('utf8')));
    rt = await boot({ config, logger: createLogger('trace', out) });
    app = createApp(rt);
    stub = await startAdminStub();
  });
  after(async () => {
    await stub.close();
    await rt.close();
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('holds every request and none of the cookies, tokens, passwords or signatures they carried', async () => {
    const shop = await createStore(rt.db.pool, rt.secrets, { platform: 'shopify', domain: SHOP });
    const bc = await createStore(rt.db.pool, rt.secrets, { platform: 'bigcommerce', domain: 'log-bc.example.com' });
    await saveInstallation(rt.db.pool, bc.store.id, { accessTokenSealed: null, scopes: [], externalId: STORE_HASH });
    const wix = await createStore(rt.db.pool, rt.secrets, { platform: 'wix', domain: WIX_SITE });
    await saveInstallation(rt.db.pool, wix.store.id, { accessTokenSealed: null, scopes: [], externalId: WIX_SITE });

    // Merchant sign-in, and a page opened with its cookie.
    const { password } = await issueMerchantLogin(rt.db.pool, shop.store.id, 'owner@log.example');
    secret('merchant password', password);
    const loginPage = await request(app).get('/app/login');
    const loginCookie = cookiesOf('merchant login page', loginPage);
    const merchant = await request(app).post('/app/login').set('Cookie', loginCookie).type('form').send({ _csrf: csrfOf(loginPage.text), email: 'owner@log.example', password });
    assert.equal(merchant.status, 303, merchant.text);
    assert.equal((await request(app).get('/app').set('Cookie', cookiesOf('merchant sign-in', merchant))).status, 200);

    // Support sign-in, the same way.
    secret('support password', SUPPORT.password);
    const supportPage = await request(app).get('/support/login');
    const supportCookie = cookiesOf('support login page', supportPage);
    const staff = await request(app).post('/support/login').set('Cookie', supportCookie).type('form').send({ _csrf: csrfOf(supportPage.text), ...SUPPORT });
    assert.equal(staff.status, 303, staff.text);
    assert.equal((await request(app).get('/support').set('Cookie', cookiesOf('support sign-in', staff))).status, 200);

    // Shopify: the admin's launch (id_token), then App Bridge's bearer token.
    const idToken = sessionToken();
    secret('Shopify id_token', idToken);
    const launch = await request(app).get('/app').query(launchQuery(idToken));
    assert.equal(launch.status, 303, launch.text);
    const onward = await request(app).get(launch.headers.location!).set('Cookie', cookiesOf('Shopify launch', launch));
    assert.equal(onward.status, 200);
    const bearer = sessionToken();
    secret('App Bridge bearer token', bearer);
    assert.equal((await request(app).get('/app').set('Authorization', `Bearer ${bearer}`)).status, 200);

    // Shopify install callback: code, hmac and state in the query, the state cookie with it.
    const install = await request(app).get('/shopify/install').query({ shop: SHOP });
    const state = new URL(install.headers.location!).searchParams.get('state')!;
    secret('Shopify OAuth state', state);
    const q: Record<string, string> = { code: `auth-code-${randomUUID()}`, host: launchQuery(idToken).host!, shop: SHOP, state, timestamp: String(Math.floor(Date.now() / 1000)) };
    const hmac = createHmac('sha256', API_SECRET).update(new URLSearchParams(Object.keys(q).sort().map((k): [string, string] => [k, q[k]!])).toString()).digest('hex');
    secret('Shopify OAuth code', q.code);
    secret('Shopify OAuth hmac', hmac);
    const installed = await request(app).get('/shopify/callback').query({ ...q, hmac }).set('Cookie', cookiesOf('Shopify install', install));
    assert.equal(installed.status, 302, installed.text);
    assert.equal(stub.token.issued, 1);
    secret('Shopify access token', 'shpat_issued_1');
    secret('Shopify refresh token', 'shprt_issued_1');

    // A Shopify webhook: its HMAC header.
    const delivery = signedDelivery('products/update', { id: 1 });
    secret('Shopify webhook HMAC', delivery.headers['x-shopify-hmac-sha256'] as string);
    await postDelivery(request(app), delivery);

    // BigCommerce control-panel load.
    const jwt = signedPayloadJwt();
    secret('BigCommerce signed_payload_jwt', jwt);
    const load = await request(app).get('/bigcommerce/load').query({ signed_payload_jwt: jwt });
    assert.equal(load.status, 303, load.text);
    cookiesOf('BigCommerce load', load);

    // Wix dashboard.
    const instance = signedInstance(WIX_SITE);
    secret('Wix instance', instance);
    const dashboard = await request(app).get('/wix/dashboard').query({ instance, locale: 'en', viewMode: 'dashboard' });
    assert.equal(dashboard.status, 303, dashboard.text);
    cookiesOf('Wix dashboard', dashboard);

    // The API with the store's private key; a header no one listed that carries a secret too.
    secret('API private key', shop.privateKey);
    const stray = `stray-${randomUUID()}`;
    secret('an unlisted X-Auth-Token header', stray);
    assert.equal((await request(app).get('/api/v1/catalog/products').set('Authorization', `Bearer ${shop.privateKey}`).set('X-Auth-Token', stray)).status, 200);

    // Message links: unsubscribe (page and one-click post), open pixel, click redirect.
    const key = messageLinkKey(rt.secrets);
    const base = rt.config.appUrl;
    const profileId = ProfileId.parse(randomUUID());
    const messageId = MessageId.parse(randomUUID());
    const links = {
      unsubscribe: unsubscribeUrl(base, key, shop.store.id, profileId, 'email'),
      open: openUrl(base, key, shop.store.id, messageId),
      click: clickUrl(base, key, shop.store.id, messageId, 'https://shop.example/p/1'),
    };
    for (const [name, url] of Object.entries(links)) {
      const path = new URL(url).pathname;
      secret(`${name} link token`, path.split('/')[2]);
      await request(app).get(path);
    }
    await request(app).post(new URL(links.unsubscribe).pathname).type('form').send({ 'List-Unsubscribe': 'One-Click' });

    // The run was logged: one completed-request line per request, at least.
    const lines = log.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { req?: { url?: string }; msg?: string });
    const urls = lines.map((l) => l.req?.url).filter((u): u is string => Boolean(u));
    for (const path of ['/app/login', '/support/login', '/shopify/callback', '/webhooks/shopify', '/bigcommerce/load', '/wix/dashboard', '/api/v1/catalog/products', '/u/', '/o/', '/c/']) {
      assert.ok(urls.some((u) => u.startsWith(path)), `a request to ${path} is logged`);
    }

    const found = [...secrets].filter(([value]) => log.includes(value)).map(([, where]) => where);
    assert.deepEqual(found, [], 'secrets found in the log');
  });
});
