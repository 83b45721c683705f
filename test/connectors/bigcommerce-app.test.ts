// The single-click app callbacks and the webhook endpoint's refusals, through the express app,
// with BigCommerce's login and API hosts stubbed locally.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../src/web/app.ts';
import { createBigCommerceConnector } from '../../connectors/bigcommerce/bigcommerce-connector.ts';
import { SECRET_HEADER, hookSecret } from '../../connectors/bigcommerce/verify-webhook.ts';
import { HOOK_SCOPES } from '../../connectors/bigcommerce/normalise-delivery.ts';
import { findStoreByShop, readSealedAccessToken } from '../../src/db/repositories/stores.ts';
import { findSync } from '../../src/db/repositories/catalog-syncs.ts';
import { drainWebhooks } from '../../src/jobs/process-webhooks.ts';
import { testRuntime, type TestRuntime } from '../helpers/db.ts';
import { startBigCommerceStub, type Stub } from '../fixtures/bigcommerce/stub-api.ts';
import { ACCESS_TOKEN, CLIENT_ID, CLIENT_SECRET, STORE_HASH, envelope, signedPayloadJwt, signedRequest } from '../fixtures/bigcommerce/payloads.ts';

const APP_URL = 'https://storeflow.example.com';

describe('BigCommerce app callbacks and webhook intake', () => {
  let rt: TestRuntime;
  let stub: Stub;
  let app: Express;
  const inboxCount = async () => Number((await rt.db.pool.query('SELECT count(*) AS n FROM webhook_inbox')).rows[0].n);
  const storeStatus = async () => (await findStoreByShop(rt.db.pool, 'bigcommerce', STORE_HASH))?.status;

  before(async () => {
    rt = await testRuntime({ env: { APP_URL } });
    stub = await startBigCommerceStub({ storeHash: STORE_HASH, token: ACCESS_TOKEN });
    const connector = createBigCommerceConnector({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, appUrl: APP_URL, apiBaseUrl: stub.url, loginBaseUrl: stub.url, retryBaseMs: 1 });
    app = createApp({ ...rt, connectors: { ...rt.connectors, bigcommerce: connector } });
  });
  after(async () => {
    await stub.close();
    await rt.dispose();
  });

  const auth = (q: Record<string, string>) => request(app).get('/bigcommerce/auth').query(q);
  const installQuery = { account_uuid: '7f0b1f5c-5e8d-4b1a-9b3c-2d1e0f9a8b7c', code: 'auth-code-1', context: `stores/${STORE_HASH}`, scope: 'store_v2_products_read_only store_v2_orders_read_only store_v2_customers_read_only store_cart_read_only' };

  test('a refused code installs nothing', async () => {
    const res = await auth({ ...installQuery, code: 'stolen-or-used' });
    assert.equal(res.status, 400);
    assert.match(String(res.headers['content-type']), /application\/problem\+json/);
    assert.equal(await findStoreByShop(rt.db.pool, 'bigcommerce', STORE_HASH), undefined);
  });

  test('install: code exchanged with context and scope, token sealed, hooks registered with the store secret, sync queued', async () => {
    const res = await auth(installQuery);
    assert.equal(res.status, 200, res.text);
    assert.match(res.text, /Private key: <code>/);
    assert.match(String(res.headers['content-security-policy']), new RegExp(`frame-ancestors https://store-${STORE_HASH}\\.mybigcommerce\\.com https://login\\.bigcommerce\\.com(;|$)`));
    assert.equal(res.headers['x-frame-options'], undefined);
    const exchange = stub.state.seen.find((s) => s.path === '/oauth2/token' && (s.body as { code: string }).code === 'auth-code-1');
    assert.deepEqual(
      { ...(exchange!.body as Record<string, string>) },
      { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, code: 'auth-code-1', context: `stores/${STORE_HASH}`, scope: installQuery.scope, grant_type: 'authorization_code', redirect_uri: `${APP_URL}/bigcommerce/auth` },
    );
    const store = await findStoreByShop(rt.db.pool, 'bigcommerce', STORE_HASH);
    assert.ok(store);
    assert.equal(store.domain, 'linen-and-co.example.com');
    assert.equal(store.status, 'active');
    assert.deepEqual(store.scopes, installQuery.scope.split(' '));
    const sealed = await readSealedAccessToken(rt.db.pool, store.id);
    assert.ok(sealed && !sealed.includes(ACCESS_TOKEN), 'the token is stored encrypted');
    assert.equal(rt.secrets.open(sealed), ACCESS_TOKEN);
    assert.deepEqual(stub.state.hooks.map((h) => h.scope).sort(), [...HOOK_SCOPES].sort());
    for (const h of stub.state.hooks) {
      assert.equal(h.destination, `${APP_URL}/webhooks/bigcommerce`);
      assert.equal(h.is_active, true);
      assert.deepEqual(h.headers, { [SECRET_HEADER]: hookSecret(CLIENT_SECRET, STORE_HASH) });
    }
    assert.equal((await findSync(rt.db.pool, store.id))?.status, 'queued');
  });

  test('install puts the storefront script in the Script Manager with the store public key, on every page, as analytics', async () => {
    const store = (await findStoreByShop(rt.db.pool, 'bigcommerce', STORE_HASH))!;
    assert.equal(stub.state.scripts.length, 1);
    const [script] = stub.state.scripts;
    assert.deepEqual(
      { src: script!.src, kind: script!.kind, location: script!.location, visibility: script!.visibility, consent_category: script!.consent_category, auto_uninstall: script!.auto_uninstall },
      { src: `${APP_URL}/bigcommerce/storefront.js?key=${encodeURIComponent(store.publicKey)}`, kind: 'src', location: 'footer', visibility: 'all_pages', consent_category: 'analytics', auto_uninstall: true },
    );
    assert.ok(stub.state.seen.some((s) => s.method === 'POST' && s.path === `/stores/${STORE_HASH}/v3/content/scripts`));
  });

  test('reinstall reuses the store and its hooks instead of duplicating them', async () => {
    const before = (await findStoreByShop(rt.db.pool, 'bigcommerce', STORE_HASH))!;
    const res = await auth(installQuery);
    assert.equal(res.status, 200);
    assert.doesNotMatch(res.text, /Private key/, 'keys are shown only at the first install');
    const after = (await findStoreByShop(rt.db.pool, 'bigcommerce', STORE_HASH))!;
    assert.equal(after.id, before.id);
    assert.equal(stub.state.hooks.length, HOOK_SCOPES.length);
    assert.equal(stub.state.scripts.length, 1, 'the script is updated in place, not added again');
    assert.ok(stub.state.seen.some((s) => s.method === 'PUT' && s.path === `/stores/${STORE_HASH}/v3/content/scripts/${stub.state.scripts[0]!.uuid}`));
  });

  test('load signs in to the app for a valid signed payload, framed by this store’s control panel only', async () => {
    const res = await request(app).get('/bigcommerce/load').query({ signed_payload_jwt: signedPayloadJwt() });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/app');
    assert.match(String(res.headers['set-cookie']), /sf_app=.*SameSite=None/);
    assert.match(String(res.headers['content-security-policy']), new RegExp(`frame-ancestors https://store-${STORE_HASH}\\.mybigcommerce\\.com https://login\\.bigcommerce\\.com(;|$)`));
  });

  const forged: Array<[string, string]> = [
    ['signed with another secret', signedPayloadJwt({ secret: 'not-our-secret' })],
    ['alg none without a signature', signedPayloadJwt({ alg: 'none', signature: 'none' })],
    ['alg none with our signature', signedPayloadJwt({ alg: 'none' })],
    ['expired', signedPayloadJwt({ expOffsetS: -60 })],
    ['issued for another app', signedPayloadJwt({ aud: 'someone-else' })],
    ['not a JWT', 'abc.def'],
  ];
  for (const path of ['/bigcommerce/load', '/bigcommerce/uninstall', '/bigcommerce/remove-user']) {
    for (const [name, jwt] of forged) {
      test(`${path} refuses a payload ${name} with 401 and changes nothing`, async () => {
        const res = await request(app).get(path).query({ signed_payload_jwt: jwt });
        assert.equal(res.status, 401);
        assert.match(String(res.headers['content-type']), /application\/problem\+json/);
        assert.equal(await storeStatus(), 'active');
      });
    }
  }

  test('a valid payload for a store that never installed is 404, and a missing one is 400', async () => {
    const res = await request(app).get('/bigcommerce/uninstall').query({ signed_payload_jwt: signedPayloadJwt({ sub: 'stores/zzzz9999' }) });
    assert.equal(res.status, 404);
    assert.equal((await request(app).get('/bigcommerce/load')).status, 400);
  });

  test('remove-user acknowledges a verified payload', async () => {
    const res = await request(app).get('/bigcommerce/remove-user').query({ signed_payload_jwt: signedPayloadJwt() });
    assert.equal(res.status, 200);
    assert.equal(await storeStatus(), 'active');
  });

  const post = (req: ReturnType<typeof signedRequest>) => {
    let r = request(app).post('/webhooks/bigcommerce');
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') r = r.set(k, v);
    return r.send(req.rawBody);
  };

  test('webhooks with a wrong or missing secret header, or a bad signature, are 401 and stored nowhere', async () => {
    const body = envelope('store/product/updated', { type: 'product', id: 112 });
    const before = await inboxCount();
    const cases = [
      // Neither proof (a delivery with only a valid Standard Webhooks signature is accepted:
      // test/connectors/bigcommerce-signatures.test.ts).
      signedRequest(body, { secretHeader: null, standard: false }),
      signedRequest(body, { secretHeader: 'guessed' }),
      signedRequest(body, { secretHeader: hookSecret(CLIENT_SECRET, 'anotherstore') }),
      signedRequest(body, { clientSecret: 'not-our-secret', secretHeader: hookSecret(CLIENT_SECRET, STORE_HASH) }),
    ];
    for (const c of cases) assert.equal((await post(c)).status, 401);
    const stale = signedRequest(body);
    stale.headers = { ...stale.headers, 'webhook-timestamp': String(Math.floor(Date.now() / 1000) - 50 * 3600) };
    assert.equal((await post(stale)).status, 401, 'a timestamp changed after signing (and past the retry window) is refused');
    assert.equal(await inboxCount(), before);
  });

  test('a delivery with only the secret header is accepted (older hooks are not signed)', async () => {
    const res = await post(signedRequest(envelope('store/product/deleted', { type: 'product', id: 404404 }), { standard: false }));
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'queued');
  });

  test('a webhook for a store we do not hold is 401', async () => {
    const res = await post(signedRequest(envelope('store/product/updated', { type: 'product', id: 1 }, { storeHash: 'unknown42' }), { storeHash: 'unknown42' }));
    assert.equal(res.status, 401);
  });

  test('an unknown scope is acknowledged and ignored by the worker', async () => {
    const res = await post(signedRequest(envelope('store/shipment/created', { type: 'shipment', id: 3 })));
    assert.equal(res.status, 200);
    await drainWebhooks(rt);
    const { rows } = await rt.db.pool.query("SELECT outcome FROM webhook_inbox WHERE topic = 'store/shipment/created'");
    assert.match(rows[0].outcome, /^ignored/);
  });

  test('uninstall deletes the storefront script, wipes the token and marks the store uninstalled', async () => {
    const uuid = stub.state.scripts[0]!.uuid;
    const res = await request(app).get('/bigcommerce/uninstall').query({ signed_payload_jwt: signedPayloadJwt() });
    assert.equal(res.status, 200);
    assert.ok(stub.state.seen.some((s) => s.method === 'DELETE' && s.path === `/stores/${STORE_HASH}/v3/content/scripts/${uuid}`));
    assert.deepEqual(stub.state.scripts, []);
    const store = (await findStoreByShop(rt.db.pool, 'bigcommerce', STORE_HASH))!;
    assert.equal(store.status, 'uninstalled');
    assert.equal(await readSealedAccessToken(rt.db.pool, store.id), null);
    const load = await request(app).get('/bigcommerce/load').query({ signed_payload_jwt: signedPayloadJwt() });
    assert.equal(load.status, 404);
  });
});

describe('BigCommerce install callbacks arriving together', () => {
  let rt: TestRuntime;
  let stub: Stub;
  let app: Express;

  before(async () => {
    rt = await testRuntime({ env: { APP_URL } });
    stub = await startBigCommerceStub({ storeHash: STORE_HASH, token: ACCESS_TOKEN, storeInfoTogether: 2 });
    const connector = createBigCommerceConnector({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, appUrl: APP_URL, apiBaseUrl: stub.url, loginBaseUrl: stub.url, retryBaseMs: 1 });
    app = createApp({ ...rt, connectors: { ...rt.connectors, bigcommerce: connector } });
  });
  after(async () => {
    await stub.close();
    await rt.dispose();
  });

  test('two concurrent auth callbacks for the same store hash both succeed and yield one store', async () => {
    const query = { code: 'auth-code-1', context: `stores/${STORE_HASH}`, scope: 'store_v2_products_read_only store_v2_orders_read_only' };
    const [a, b] = await Promise.all([
      request(app).get('/bigcommerce/auth').query(query),
      request(app).get('/bigcommerce/auth').query(query),
    ]);
    assert.equal(a.status, 200, a.text);
    assert.equal(b.status, 200, b.text);
    const { rows } = await rt.db.pool.query("SELECT id, status, external_id FROM stores WHERE platform = 'bigcommerce'");
    assert.equal(rows.length, 1);
    assert.equal(rows[0].status, 'active');
    assert.equal(rows[0].external_id, STORE_HASH);
    assert.equal([a.text, b.text].filter((t) => /Private key: <code>/.test(t)).length, 1, 'the keys are shown to the callback that created the store only');
    assert.equal((await findSync(rt.db.pool, rows[0].id))?.status, 'queued');
  });
});
