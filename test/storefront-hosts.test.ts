// The storefront hosts each platform reports are recorded at catalog sync and count as the
// store's own, so real product and checkout links survive: a Shopify shop on a custom domain
// (only its myshopify domain was stored), a BigCommerce store whose domain changed, and a Wix
// site (its stored domain is the instance id, not a host). Each platform's API is a local stub.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { createApp } from '../src/web/app.ts';
import { createStore, type CreatedStore } from '../src/stores/create-store.ts';
import { saveInstallation } from '../src/db/repositories/stores.ts';
import { requestSync } from '../src/db/repositories/catalog-syncs.ts';
import { runCatalogSyncs } from '../src/jobs/sync-catalog.ts';
import { encodeGrant } from '../connectors/shopify/credentials.ts';
import { createBigCommerceConnector } from '../connectors/bigcommerce/bigcommerce-connector.ts';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { ENV as SHOPIFY_ENV, startAdminStub, type AdminStub } from './fixtures/shopify/kit.ts';
import { startBigCommerceStub, type Stub } from './fixtures/bigcommerce/stub-api.ts';
import { ACCESS_TOKEN, CLIENT_ID, CLIENT_SECRET, STORE_HASH } from './fixtures/bigcommerce/payloads.ts';
import { defaultState, installWixStub } from './fixtures/wix/api-stub.ts';
import { INSTANCE } from './fixtures/wix/events.ts';
import { wixEnv } from './fixtures/wix/sign.ts';

/** Syncs the store, then posts a Viewed Product whose URL is on `host`; returns the stored URL and the recorded hosts. */
async function syncThenTrack(rt: TestRuntime, created: CreatedStore, host: string): Promise<{ hosts: string[]; url: unknown }> {
  await requestSync(rt.db.pool, created.store.id);
  assert.equal(await runCatalogSyncs(rt), 1);
  const { rows: [row] } = await rt.db.pool.query<{ platform_storefront_domains: string[]; storefront_domains: string[] }>(
    'SELECT platform_storefront_domains, storefront_domains FROM stores WHERE id = $1',
    [created.store.id],
  );
  assert.deepEqual(row!.storefront_domains, [], 'the merchant’s own list is not touched');
  const url = `https://${host}/products/linen-shirt`;
  const res = await request(createApp(rt)).post('/api/v1/track').set('Content-Type', 'text/plain')
    .send(JSON.stringify({ publicKey: created.publicKey, metric: 'Viewed Product', profile: { email: 'shopper@example.com' }, properties: { ProductID: '1', URL: url, Evil: 'https://evil.example/x' }, uniqueId: `view-${host}` }));
  assert.equal(res.status, 202, res.text);
  const { rows: [event] } = await rt.db.pool.query<{ properties: Record<string, unknown> }>('SELECT properties FROM events WHERE store_id = $1', [created.store.id]);
  assert.equal(event!.properties.Evil, undefined, 'other hosts are still dropped');
  return { hosts: row!.platform_storefront_domains, url: event!.properties.URL };
}

describe('Shopify: the primary domain from the shop query', () => {
  let rt: TestRuntime;
  let stub: AdminStub;
  before(async () => {
    rt = await testRuntime({ env: SHOPIFY_ENV });
    stub = await startAdminStub();
    stub.graphql.set('StoreflowShopDomains', () => ({ shop: { primaryDomain: { host: 'www.linen-and-co.com' }, myshopifyDomain: 'linen-and-co.myshopify.com' } }));
    stub.graphql.set('StoreflowCatalogPage', () => ({ products: { pageInfo: { hasNextPage: false, endCursor: null }, nodes: [] } }));
  });
  after(async () => {
    await stub.close();
    await rt.dispose();
  });

  test('a shop on a custom domain keeps links to it', async () => {
    const created = await createStore(rt.db.pool, rt.secrets, { platform: 'shopify', domain: 'linen-and-co.myshopify.com' });
    const grant = encodeGrant({ accessToken: 'shpat_hosts', expiresAt: new Date(Date.now() + 3600_000), refreshToken: 'shprt_hosts', refreshTokenExpiresAt: null });
    await saveInstallation(rt.db.pool, created.store.id, { accessTokenSealed: rt.secrets.seal(grant), scopes: [] });
    const { hosts, url } = await syncThenTrack(rt, created, 'www.linen-and-co.com');
    assert.deepEqual(hosts, ['www.linen-and-co.com', 'linen-and-co.myshopify.com']);
    assert.equal(url, 'https://www.linen-and-co.com/products/linen-shirt');
  });
});

describe('BigCommerce: the store URL from the Store Information API', () => {
  let rt: TestRuntime;
  let stub: Stub;
  before(async () => {
    const base = await testRuntime({ env: { BIGCOMMERCE_CLIENT_ID: CLIENT_ID, BIGCOMMERCE_CLIENT_SECRET: CLIENT_SECRET } });
    stub = await startBigCommerceStub({ storeHash: STORE_HASH, token: ACCESS_TOKEN });
    const connector = createBigCommerceConnector({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, appUrl: 'https://storeflow.example.com', apiBaseUrl: stub.url, retryBaseMs: 1 });
    rt = { ...base, connectors: { ...base.connectors, bigcommerce: connector } };
  });
  after(async () => {
    await stub.close();
    await rt.dispose();
  });

  test('a store installed under its old domain keeps links to the one BigCommerce now reports', async () => {
    const created = await createStore(rt.db.pool, rt.secrets, { platform: 'bigcommerce', domain: `store-${STORE_HASH}.mybigcommerce.com` });
    await saveInstallation(rt.db.pool, created.store.id, { accessTokenSealed: rt.secrets.seal(ACCESS_TOKEN), scopes: [], externalId: STORE_HASH });
    // The stub's /v2/store answers domain and secure_url linen-and-co.example.com.
    const { hosts, url } = await syncThenTrack(rt, created, 'linen-and-co.example.com');
    assert.deepEqual(hosts, ['linen-and-co.example.com']);
    assert.equal(url, 'https://linen-and-co.example.com/products/linen-shirt');
  });
});

describe('Wix: the site URL from Get App Instance', () => {
  let rt: TestRuntime;
  let restore: () => void;
  before(async () => {
    rt = await testRuntime({ env: wixEnv });
    restore = installWixStub({ ...defaultState(), siteUrl: 'https://www.wool-and-co.com' });
  });
  after(async () => {
    restore();
    await rt.dispose();
  });

  test('a Wix store (domain = instance id) keeps links to its site', async () => {
    const created = await createStore(rt.db.pool, rt.secrets, { platform: 'wix', domain: INSTANCE });
    await saveInstallation(rt.db.pool, created.store.id, { accessTokenSealed: null, scopes: [], externalId: INSTANCE });
    const { hosts, url } = await syncThenTrack(rt, created, 'www.wool-and-co.com');
    assert.deepEqual(hosts, ['www.wool-and-co.com']);
    assert.equal(url, 'https://www.wool-and-co.com/products/linen-shirt');
  });
});
