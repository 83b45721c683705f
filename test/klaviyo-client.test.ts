// Klaviyo's client-side endpoints (storefront scripts), keyed by company_id = the public key,
// with /api/v1/track's guards. Klaviyo's Node client no longer ships these calls (its changelog
// points storefronts at klaviyo.js), so the bodies here are the ones Klaviyo documents.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { createStore } from '../src/stores/create-store.ts';
import { createApp } from '../src/web/app.ts';
import { ingestCatalog } from '../src/ingest/ingest-catalog.ts';
import { listBackInStockRequests } from '../src/db/repositories/back-in-stock.ts';
import { setPlatformStorefrontDomains, setStorefrontDomains } from '../src/db/repositories/store-links.ts';
import type { ExternalProductId, ExternalVariantId, StoreId } from '../src/model/ids.ts';

describe('Klaviyo client-side endpoints', () => {
  let rt: TestRuntime;
  let app: ReturnType<typeof createApp>;
  let storeId: StoreId;
  let publicKey: string;
  const headers = { revision: '2026-07-15', 'Content-Type': 'application/json', Origin: 'https://shop.example.com' };
  const post = (path: string, body: unknown, companyId = publicKey) => request(app).post(`/client/${path}/`).query({ company_id: companyId }).set(headers).send(JSON.stringify(body));
  const profile = (email: string) => ({ data: { type: 'profile', attributes: { email } } });

  before(async () => {
    rt = await testRuntime();
    app = createApp(rt);
    const created = await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: 'shop.example.com' });
    storeId = created.store.id;
    publicKey = created.store.publicKey;
    await ingestCatalog(rt.db.pool, storeId, [
      { externalId: 'shirt' as ExternalProductId, title: 'Shirt', inventoryTracking: 'variant', variants: [{ externalId: 'shirt-s' as ExternalVariantId, inventoryQuantity: 0 }] },
    ]);
  });
  after(async () => rt.dispose());

  test('events: 202, CORS, links to other hosts dropped, storefront metrics only', async () => {
    const preflight = await request(app).options('/client/events/').set({ Origin: 'https://shop.example.com', 'Access-Control-Request-Headers': 'content-type,revision' });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], '*');
    assert.match(preflight.headers['access-control-allow-headers'] ?? '', /revision/);

    const res = await post('events', {
      data: {
        type: 'event',
        attributes: {
          properties: { ProductID: 'shirt', URL: 'https://shop.example.com/shirt', ImageURL: 'https://evil.example/x.png' },
          unique_id: 'c-1',
          metric: { data: { type: 'metric', attributes: { name: 'Viewed Product' } } },
          profile: { data: { type: 'profile', attributes: { email: 'shopper@example.com' } } },
        },
      },
    });
    assert.equal(res.status, 202, res.text);
    assert.equal(res.headers['access-control-allow-origin'], '*');
    const stored = (await rt.db.pool.query<{ properties: Record<string, unknown> }>('SELECT properties FROM events WHERE store_id = $1 AND unique_id = $2', [storeId, 'c-1'])).rows[0]!;
    assert.deepEqual(stored.properties, { ProductID: 'shirt', URL: 'https://shop.example.com/shirt' });

    const placed = await post('events', { data: { type: 'event', attributes: { properties: {}, metric: { data: { type: 'metric', attributes: { name: 'Placed Order' } } }, profile: profile('x@example.com') } } });
    assert.equal(placed.status, 400);
    assert.equal(placed.body.errors[0].code, 'invalid');
    assert.equal(placed.body.errors[0].source.pointer, '/data/attributes/metric/data/attributes/name');
  });

  test('links to the hosts the platform reports and the merchant lists are kept, as on /api/v1/track', async () => {
    await setPlatformStorefrontDomains(rt.db.pool, storeId, ['www.shop-brand.example']);
    await setStorefrontDomains(rt.db.pool, storeId, ['checkout.shop-pay.example']);
    const res = await post('events', {
      data: {
        type: 'event',
        attributes: {
          properties: { ProductID: 'shirt', URL: 'https://www.shop-brand.example/shirt', CheckoutURL: 'https://checkout.shop-pay.example/c/1', ImageURL: 'https://evil.example/x.png' },
          unique_id: 'c-hosts',
          metric: { data: { type: 'metric', attributes: { name: 'Started Checkout' } } },
          profile: { data: { type: 'profile', attributes: { email: 'shopper@example.com' } } },
        },
      },
    });
    assert.equal(res.status, 202, res.text);
    const stored = (await rt.db.pool.query<{ properties: Record<string, unknown> }>('SELECT properties FROM events WHERE store_id = $1 AND unique_id = $2', [storeId, 'c-hosts'])).rows[0]!;
    assert.deepEqual(stored.properties, { ProductID: 'shirt', URL: 'https://www.shop-brand.example/shirt', CheckoutURL: 'https://checkout.shop-pay.example/c/1' });
  });

  test('an unknown company_id or revision is refused in Klaviyo\'s shape and stores nothing', async () => {
    const before = (await rt.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM profiles WHERE store_id = $1', [storeId])).rows[0]!.n;
    const unknown = await post('profiles', profile('nobody@example.com'), 'pk_unknown');
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.errors[0].source.parameter, 'company_id');
    const revision = await request(app).post('/client/profiles/').query({ company_id: publicKey }).set({ ...headers, revision: '1999-01-01' }).send(JSON.stringify(profile('nobody@example.com')));
    assert.equal(revision.status, 400);
    assert.equal(revision.body.errors[0].source.parameter, 'revision');
    const unserved = await post('push-tokens', {});
    assert.equal(unserved.status, 404);
    assert.match(unserved.body.errors[0].detail, /Supported:/);
    const after = (await rt.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM profiles WHERE store_id = $1', [storeId])).rows[0]!.n;
    assert.equal(after, before);
  });

  test('profiles, subscriptions and back-in-stock subscriptions', async () => {
    assert.equal((await post('profiles', { data: { type: 'profile', attributes: { email: 'fan@example.com', first_name: 'Fan' } } })).status, 202);
    const sub = await post('subscriptions', {
      data: {
        type: 'subscription',
        attributes: { profile: { data: { type: 'profile', attributes: { email: 'fan@example.com', subscriptions: { email: { marketing: { consent: 'SUBSCRIBED' } } } } } } },
        relationships: { list: { data: { type: 'list', id: 'newsletter' } } },
      },
    });
    assert.equal(sub.status, 202, sub.text);
    const fan = (await rt.db.pool.query<{ first_name: string; email_consent: string }>('SELECT first_name, email_consent FROM profiles WHERE store_id = $1 AND email = $2', [storeId, 'fan@example.com'])).rows[0]!;
    assert.deepEqual(fan, { first_name: 'Fan', email_consent: 'subscribed' });

    const bis = await post('back-in-stock-subscriptions', {
      data: {
        type: 'back-in-stock-subscription',
        attributes: { channels: ['EMAIL'], profile: profile('fan@example.com') },
        relationships: { variant: { data: { type: 'catalog-variant', id: '$custom:::$default:::shirt-s' } } },
      },
    });
    assert.equal(bis.status, 202, bis.text);
    assert.equal((await listBackInStockRequests(rt.db.pool, storeId)).length, 1);
  });
});
