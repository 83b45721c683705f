// Install as a Shopify reviewer walks it: the install link, the signed callback, the expiring
// offline token sealed at rest and refreshed before it runs out, webhooks registered, the first
// catalog pull queued, uninstall and reinstall. Shopify's OAuth and Admin API are a local stub.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../src/web/app.ts';
import { findStoreByDomain, readSealedAccessToken } from '../../src/db/repositories/stores.ts';
import { findSync } from '../../src/db/repositories/catalog-syncs.ts';
import { findTokenExpiry } from '../../src/db/repositories/shopify-tokens.ts';
import { findPixelState } from '../../src/db/repositories/shopify-web-pixels.ts';
import { drainWebhooks } from '../../src/jobs/process-webhooks.ts';
import { decodeGrant } from '../../connectors/shopify/credentials.ts';
import { SUBSCRIBED_TOPICS } from '../../connectors/shopify/shopify-api.ts';
import type { ShopifyConnector } from '../../connectors/shopify/shopify-connector.ts';
import { refreshExpiringTokens } from '../../connectors/shopify/token-refresh.ts';
import { queueReconciliation } from '../../connectors/shopify/jobs.ts';
import { connectorJobHost } from '../../src/jobs/connector-jobs.ts';
import { testRuntime, type TestRuntime } from '../helpers/db.ts';
import { API_KEY, API_SECRET, ENV, SHOP, fixture, postDelivery, signedDelivery, startAdminStub, type AdminStub } from '../fixtures/shopify/kit.ts';

const BROWSER = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15';

/** The callback query Shopify sends, signed the way its docs describe (sorted, hex HMAC). */
function callbackQuery(state: string, opts: { code?: string; secret?: string } = {}): Record<string, string> {
  const q: Record<string, string> = {
    code: opts.code ?? 'auth-code-1',
    host: Buffer.from(`admin.shopify.com/store/storeflow-test`).toString('base64url'),
    shop: SHOP,
    state,
    timestamp: String(Math.floor(Date.now() / 1000)),
  };
  const message = new URLSearchParams(Object.keys(q).sort().map((k): [string, string] => [k, q[k]!])).toString();
  return { ...q, hmac: createHmac('sha256', opts.secret ?? API_SECRET).update(message).digest('hex') };
}

describe('Shopify install, tokens and reinstall', () => {
  let rt: TestRuntime;
  let app: Express;
  let stub: AdminStub;

  before(async () => {
    rt = await testRuntime({ env: ENV });
    stub = await startAdminStub();
    app = createApp(rt);
  });
  after(async () => {
    await stub.close();
    await rt.dispose();
  });

  /** Starts an install; returns the state and the cookies to send back to the callback. */
  async function begin(): Promise<{ state: string; cookie: string }> {
    const res = await request(app).get('/shopify/install').query({ shop: SHOP }).set('user-agent', BROWSER);
    assert.equal(res.status, 302);
    const location = new URL(res.headers.location!);
    const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
    return { state: location.searchParams.get('state')!, cookie: cookies.map((c) => c.split(';')[0]).join('; ') };
  }
  const callback = (query: Record<string, string>, cookie?: string) => {
    const r = request(app).get('/shopify/callback').query(query).set('user-agent', BROWSER);
    return cookie ? r.set('cookie', cookie) : r;
  };

  test('a shop that is not *.myshopify.com is a 400 problem', async () => {
    for (const shop of ['evil.example.com', 'storeflow-test.myshopify.com.evil.com', '']) {
      const res = await request(app).get('/shopify/install').query({ shop });
      assert.equal(res.status, 400, shop);
      assert.match(res.headers['content-type'] ?? '', /application\/problem\+json/);
      assert.equal(res.body.type, 'https://storeflow.dev/problems/invalid-shop');
    }
  });

  test('install redirects to Shopify with our client id, scopes, callback and a state nonce', async () => {
    const res = await request(app).get('/shopify/install').query({ shop: SHOP }).set('user-agent', BROWSER);
    assert.equal(res.status, 302);
    const url = new URL(res.headers.location!);
    assert.equal(`${url.origin}${url.pathname}`, `https://${SHOP}/admin/oauth/authorize`);
    assert.equal(url.searchParams.get('client_id'), API_KEY);
    assert.equal(url.searchParams.get('redirect_uri'), 'https://storeflow.example.com/shopify/callback');
    assert.match(url.searchParams.get('scope') ?? '', /read_products/);
    assert.ok((url.searchParams.get('state') ?? '').length >= 10);
  });

  test('a callback with a wrong HMAC, or without the state cookie, is refused and installs nothing', async () => {
    const { state, cookie } = await begin();
    const forged = await callback(callbackQuery(state, { secret: 'someone-elses-secret' }), cookie);
    assert.equal(forged.status, 401);
    const noCookie = await callback(callbackQuery(state));
    assert.equal(noCookie.status, 401);
    const otherState = await callback(callbackQuery('a-different-state'), cookie);
    assert.equal(otherState.status, 401);
    assert.equal(await findStoreByDomain(rt.db.pool, 'shopify', SHOP), undefined);
    assert.equal(stub.token.issued, 0);
  });

  test('a valid callback seals an expiring token, registers webhooks, queues the catalog pull and lands in the app', async () => {
    const { state, cookie } = await begin();
    const res = await callback(callbackQuery(state), cookie);
    assert.equal(res.status, 302, JSON.stringify(res.body));
    assert.equal(res.headers.location, `/app?shop=${SHOP}`);

    const store = await findStoreByDomain(rt.db.pool, 'shopify', SHOP);
    assert.equal(store?.status, 'active');
    const sealed = (await readSealedAccessToken(rt.db.pool, store!.id))!;
    assert.ok(!sealed.includes('shpat_') && !sealed.includes('shprt_'), 'tokens are not stored in the clear');
    const grant = decodeGrant(rt.secrets.open(sealed));
    assert.equal(grant.accessToken, 'shpat_issued_1');
    assert.equal(grant.refreshToken, 'shprt_issued_1');
    const expiry = await findTokenExpiry(rt.db.pool, store!.id);
    assert.ok(expiry?.expiresAt && expiry.expiresAt.getTime() > Date.now() + 50 * 60_000);

    const created = stub.calls.filter((c) => /webhookSubscriptionCreate/.test(c.body.query ?? ''));
    const topics = created.map((c) => /topic: (\w+)/.exec(c.body.query!)?.[1]).sort();
    assert.deepEqual(topics, SUBSCRIBED_TOPICS.map((t) => t.toUpperCase().replace('/', '_')).sort());
    for (const c of created) assert.match(c.body.query!, /callbackUrl: "https:\/\/storeflow\.example\.com\/webhooks\/shopify"/);

    assert.equal((await findSync(rt.db.pool, store!.id))?.status, 'queued');
    assert.equal(await queueReconciliation(connectorJobHost(rt)), 1);
    // This stub knows no web pixel mutation: the refusal is recorded for a retry, the install stands.
    assert.equal((await findPixelState(rt.db.pool, store!.id))?.status, 'failed');
  });

  test('a token close to expiry is refreshed and the rotated refresh token kept; one far from it is left alone', async () => {
    const deps = { ...connectorJobHost(rt), api: (rt.connectors.shopify as ShopifyConnector).api };
    assert.equal(await refreshExpiringTokens(deps), 0);
    await rt.db.pool.query("UPDATE shopify_tokens SET expires_at = now() + interval '5 minutes'");
    assert.equal(await refreshExpiringTokens(deps), 1);
    const store = (await findStoreByDomain(rt.db.pool, 'shopify', SHOP))!;
    const grant = decodeGrant(rt.secrets.open((await readSealedAccessToken(rt.db.pool, store.id))!));
    assert.deepEqual([grant.accessToken, grant.refreshToken], ['shpat_refreshed_1', 'shprt_refreshed_1']);
    const refreshCall = stub.calls.filter((c) => c.path === '/admin/oauth/access_token').at(-1)!;
    assert.deepEqual([refreshCall.body.grant_type, refreshCall.body.refresh_token], ['refresh_token', 'shprt_issued_1']);
    assert.equal(await refreshExpiringTokens(deps), 0, 'the new token is not due');
  });

  let firstUninstallAt = '';

  test('uninstall wipes the token (nothing left to refresh); reinstall revives the same store', async () => {
    const before = (await findStoreByDomain(rt.db.pool, 'shopify', SHOP))!;
    firstUninstallAt = new Date().toISOString();
    await postDelivery(request(app), signedDelivery('app/uninstalled', fixture('app-uninstalled'), { triggeredAt: firstUninstallAt }));
    await drainWebhooks(rt);
    assert.equal((await findStoreByDomain(rt.db.pool, 'shopify', SHOP))?.status, 'uninstalled');
    assert.equal(await readSealedAccessToken(rt.db.pool, before.id), null);
    await rt.db.pool.query("UPDATE shopify_tokens SET expires_at = now() + interval '1 minute'");
    const deps = { ...connectorJobHost(rt), api: (rt.connectors.shopify as ShopifyConnector).api };
    assert.equal(await refreshExpiringTokens(deps), 0);
    assert.equal(await queueReconciliation(connectorJobHost(rt)), 0);

    const { state, cookie } = await begin();
    const res = await callback(callbackQuery(state, { code: 'auth-code-2' }), cookie);
    assert.equal(res.status, 302);
    const after = await findStoreByDomain(rt.db.pool, 'shopify', SHOP);
    assert.deepEqual([after?.id, after?.status], [before.id, 'active']);
    assert.equal(decodeGrant(rt.secrets.open((await readSealedAccessToken(rt.db.pool, before.id))!)).accessToken, 'shpat_issued_2');
  });

  test('a late retry of the uninstall before the reinstall changes nothing; a later uninstall still applies', async () => {
    const store = (await findStoreByDomain(rt.db.pool, 'shopify', SHOP))!;
    // Shopify retries for hours with the original trigger time; this copy reaches us only now.
    const stale = await postDelivery(request(app), signedDelivery('app/uninstalled', fixture('app-uninstalled'), { triggeredAt: firstUninstallAt }));
    assert.equal(stale.status, 200);
    await drainWebhooks(rt);
    assert.equal((await findStoreByDomain(rt.db.pool, 'shopify', SHOP))?.status, 'active');
    assert.equal(decodeGrant(rt.secrets.open((await readSealedAccessToken(rt.db.pool, store.id))!)).accessToken, 'shpat_issued_2');
    const { rows } = await rt.db.pool.query<{ outcome: string }>(
      "SELECT outcome FROM webhook_inbox WHERE store_id = $1 AND topic = 'app/uninstalled' ORDER BY id DESC LIMIT 1",
      [store.id],
    );
    assert.match(rows[0]!.outcome, /stale/);

    await postDelivery(request(app), signedDelivery('app/uninstalled', fixture('app-uninstalled'), { triggeredAt: new Date(Date.now() + 1000).toISOString() }));
    await drainWebhooks(rt);
    assert.equal((await findStoreByDomain(rt.db.pool, 'shopify', SHOP))?.status, 'uninstalled');
    assert.equal(await readSealedAccessToken(rt.db.pool, store.id), null);
  });

  test('a code Shopify will not exchange is a 502 problem', async () => {
    const { state, cookie } = await begin();
    const res = await callback(callbackQuery(state, { code: 'bad-code' }), cookie);
    assert.equal(res.status, 502);
    assert.equal(res.body.type, 'https://storeflow.dev/problems/token-exchange-failed');
  });
});
