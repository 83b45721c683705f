// The public edges as an attacker meets them: what each refuses, and in what order it checks.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import type { Express } from 'express';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { assertProblemResponse } from './helpers/drill.ts';
import { createStore, type CreatedStore } from '../src/stores/create-store.ts';
import { createApp } from '../src/web/app.ts';
import { withoutForeignLinks } from '../src/model/store-urls.ts';
import { saveInstallation } from '../src/db/repositories/stores.ts';
import { CLIENT_ID, CLIENT_SECRET, envelope, signedRequest } from './fixtures/bigcommerce/payloads.ts';
import type { WebhookRequest } from '../connectors/connector.ts';
import { PRESETS } from '../src/flows/presets.ts';
import { renderMessage } from '../src/flows/render-message.ts';
import { rewriteLinks } from '../src/messaging/email-compose.ts';
import { messageLinkKey } from '../src/messaging/links.ts';
import type { FlowRun } from '../src/model/flow.ts';
import type { MessageId, ProfileId } from '../src/model/ids.ts';

/** A runtime, its app and one custom store, for the tests of one describe block. */
function customStoreApp(domain: string): { rt: TestRuntime; app: Express; shop: CreatedStore } {
  const t = {} as { rt: TestRuntime; app: Express; shop: CreatedStore };
  before(async () => {
    t.rt = await testRuntime();
    t.app = createApp(t.rt);
    t.shop = await createStore(t.rt.db.pool, t.rt.secrets, { platform: 'custom', domain });
  });
  after(async () => t.rt.dispose());
  return t;
}

describe('/api/v1 checks the key before it reads the body', () => {
  const t = customStoreApp('key-first.example.com');

  const paths = ['/api/v1/events', '/api/v1/profiles', '/api/v1/flows', '/api/v1/segments'];

  test('an invalid key with a body that is not JSON is 401 problem+json, on every writing route', async () => {
    for (const path of paths) {
      const res = await request(t.app).post(path).set('Authorization', 'Bearer sk_nope').set('Content-Type', 'application/json').send('{"events": [ nope');
      const body = assertProblemResponse(res.status, res.headers['content-type'], res.text, 401);
      assert.match(body.type, /invalid-key$/, path);
    }
    const put = await request(t.app).put('/api/v1/catalog/items').set('Content-Type', 'application/json').send('{{{');
    assertProblemResponse(put.status, put.headers['content-type'], put.text, 401);
  });

  test('an invalid key with an oversized body is 401, not 413', async () => {
    const huge = `{"events":[${'"x",'.repeat(2_500_000)}"x"]}`;
    assert.ok(huge.length > 9_000_000);
    const res = await request(t.app).post('/api/v1/events').set('Authorization', 'Bearer sk_nope').set('Content-Type', 'application/json').send(huge);
    assertProblemResponse(res.status, res.headers['content-type'], res.text, 401);
  });

  test('an invalid key with the wrong content type is 401, not 415', async () => {
    const res = await request(t.app).post('/api/v1/segments').set('Content-Type', 'text/plain').send('hello');
    assertProblemResponse(res.status, res.headers['content-type'], res.text, 401);
  });

  test('a valid key with broken JSON is 400, and the messaging API answers with the key alone', async () => {
    const res = await request(t.app).post('/api/v1/segments').set('Authorization', `Bearer ${t.shop.privateKey}`).set('Content-Type', 'application/json').send('{"name": ');
    const body = assertProblemResponse(res.status, res.headers['content-type'], res.text, 400);
    assert.match(body.type, /malformed-json$/);
    const messages = await request(t.app).get('/api/v1/messages').set('Authorization', 'Bearer sk_nope');
    assertProblemResponse(messages.status, messages.headers['content-type'], messages.text, 401);
    const ok = await request(t.app).get('/api/v1/messages').set('Authorization', `Bearer ${t.shop.privateKey}`);
    assert.equal(ok.status, 200);
  });
});

describe('links that arrive with the public key', () => {
  const t = customStoreApp('linen.example.com');

  const track = (properties: Record<string, unknown>, uniqueId: string) =>
    request(t.app)
      .post('/api/v1/track')
      .set('Content-Type', 'text/plain')
      .send(JSON.stringify({ publicKey: t.shop.publicKey, metric: 'Started Checkout', profile: { email: 'shopper@example.org' }, properties, uniqueId }));

  const stored = async (uniqueId: string) =>
    (await t.rt.db.pool.query<{ properties: Record<string, unknown> }>('SELECT properties FROM events WHERE store_id = $1 AND unique_id = $2', [t.shop.store.id, uniqueId])).rows[0]?.properties;

  test('a Started Checkout keeps links to the store and loses the others, items included; the event is kept', async () => {
    const res = await track(
      {
        CheckoutURL: 'https://evil.example/pay',
        ImageURL: '//evil.example/i.png',
        URL: 'https://www.linen.example.com/cart',
        Note: 'java\tscript:alert(1)',
        Promo: 'finish at https://evil.example/x today',
        Items: [{ ProductID: '1', ProductURL: 'evil.example/p/1', ImageURL: 'https://linen.example.com/1.jpg', Quantity: 1 }],
      },
      'co-1',
    );
    assert.equal(res.status, 202, res.text);
    assert.deepEqual(await stored('co-1'), {
      URL: 'https://www.linen.example.com/cart',
      Items: [{ ProductID: '1', ImageURL: 'https://linen.example.com/1.jpg', Quantity: 1 }],
    });
  });

  test('a domain the merchant lists through the API counts as the store\'s own', async () => {
    const auth = { Authorization: `Bearer ${t.shop.privateKey}` };
    const bad = await request(t.app).patch('/api/v1/store').set(auth).send({ storefrontDomains: ['https://shop.example/x'] });
    assertProblemResponse(bad.status, bad.headers['content-type'], bad.text, 422);
    const ok = await request(t.app).patch('/api/v1/store').set(auth).send({ storefrontDomains: ['Linen-Shop.example.'] });
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(ok.body.storefrontDomains, ['linen-shop.example']);
    assert.deepEqual((await request(t.app).get('/api/v1/store').set(auth)).body.storefrontDomains, ['linen-shop.example']);
    await track({ CheckoutURL: 'https://linen-shop.example/checkouts/abc' }, 'co-2');
    assert.deepEqual(await stored('co-2'), { CheckoutURL: 'https://linen-shop.example/checkouts/abc' });
  });

  test('a link to another host in stored event data is removed from the message, not redirected to', async () => {
    // Stored without vetting (sent with the private key, or before links were vetted).
    const profile = await t.rt.db.pool.query<{ id: ProfileId }>("INSERT INTO profiles (store_id, email) VALUES ($1, 'victim@example.org') RETURNING id", [t.shop.store.id]);
    const preset = PRESETS['abandoned-checkout'];
    const step = preset.steps.find((x) => x.type === 'email')!;
    const run = {
      storeId: t.shop.store.id,
      profileId: profile.rows[0]!.id,
      triggerEvent: { id: '1', metric: 'Started Checkout', time: new Date().toISOString(), value: null, properties: { CheckoutURL: 'https://evil.example/pay' }, items: [] },
      context: {},
    } as unknown as FlowRun;
    const head = { status: 'live', storeActive: true, storeDomain: 'linen.example.com', storePlatform: 'custom' } as const;
    const fact = { id: run.profileId, email: 'victim@example.org', phone: null, firstName: null, lastName: null, timezone: null, properties: {}, consent: { email: 'subscribed', sms: 'never_subscribed' } } as const;
    const deps = { pool: t.rt.db.pool, config: t.rt.config, secrets: t.rt.secrets };
    const rendered = await renderMessage(deps, { run, effect: { kind: 'message', step } as never, profile: fact, head });
    assert.doesNotMatch(rendered.html ?? '', /evil/);
    const ctx = { appUrl: t.rt.config.appUrl, linkKey: messageLinkKey(t.rt.secrets), mailFrom: t.rt.config.mailFrom };
    const composed = rewriteLinks(rendered.html ?? '', ctx, { storeId: t.shop.store.id, id: '00000000-0000-4000-8000-000000000001' as MessageId });
    assert.doesNotMatch(composed, /\/c\//, 'no click redirect is made for a link that is not there');

    const own = { ...run, triggerEvent: { ...run.triggerEvent!, properties: { CheckoutURL: 'https://linen-shop.example/checkouts/abc' } } } as FlowRun;
    const kept = await renderMessage(deps, { run: own, effect: { kind: 'message', step } as never, profile: fact, head });
    assert.match(kept.html ?? '', /href="https:\/\/linen-shop\.example\/checkouts\/abc"/, 'a listed storefront domain stays');
  });
});

test('withoutForeignLinks leaves values that are not links alone', () => {
  const props = { Price: 'Price: 10', Name: 'Linen shirt', Count: 3, Nested: { deep: ['a', 'https://evil.example'] } };
  const { value, removed } = withoutForeignLinks(props, ['linen.example.com']);
  assert.deepEqual(value, { Price: 'Price: 10', Name: 'Linen shirt', Count: 3, Nested: { deep: ['a'] } });
  assert.deepEqual(removed, ['Nested.deep[1]']);
});

describe('BigCommerce: a store whose deliveries are signed never takes the static header alone', () => {
  let rt: TestRuntime;
  let app: Express;
  before(async () => {
    rt = await testRuntime({ env: { BIGCOMMERCE_CLIENT_ID: CLIENT_ID, BIGCOMMERCE_CLIENT_SECRET: CLIENT_SECRET } });
    app = createApp(rt);
  });
  after(async () => rt.dispose());

  const install = async (storeHash: string) => {
    const created = await createStore(rt.db.pool, rt.secrets, { platform: 'bigcommerce', domain: `${storeHash}.example.com` });
    await saveInstallation(rt.db.pool, created.store.id, { accessTokenSealed: null, scopes: [], externalId: storeHash });
    return created.store.id;
  };
  const post = (req: WebhookRequest) => {
    let r = request(app).post('/webhooks/bigcommerce');
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') r = r.set(k, v);
    return r.send(req.rawBody.toString('utf8'));
  };
  const body = (storeHash: string, id: number) => envelope('store/product/updated', { type: 'product', id }, { storeHash });

  test('after a Standard Webhooks delivery, the static header alone is 401; signed ones still pass', async () => {
    const storeId = await install('sig1hash');
    const signed = await post(signedRequest(body('sig1hash', 1), { storeHash: 'sig1hash' }));
    assert.equal(signed.status, 200, signed.text);
    const { rows } = await rt.db.pool.query<{ webhook_signing: string }>('SELECT webhook_signing FROM stores WHERE id = $1', [storeId]);
    assert.equal(rows[0]?.webhook_signing, 'standard-webhooks', 'recorded on the store row');

    const headerOnly = await post(signedRequest(body('sig1hash', 2), { storeHash: 'sig1hash', standard: false }));
    assertProblemResponse(headerOnly.status, headerOnly.headers['content-type'], headerOnly.text, 401);
    const inbox = await rt.db.pool.query('SELECT 1 FROM webhook_inbox WHERE store_id = $1', [storeId]);
    assert.equal(inbox.rowCount, 1, 'the header-only delivery was not stored');

    const signedAgain = await post(signedRequest(body('sig1hash', 3), { storeHash: 'sig1hash' }));
    assert.equal(signedAgain.status, 200);
    assert.equal(signedAgain.body.status, 'queued');
  });

  test('a store that has never had a signed delivery still takes the static header', async () => {
    await install('sig2hash');
    const res = await post(signedRequest(body('sig2hash', 1), { storeHash: 'sig2hash', standard: false }));
    assert.equal(res.status, 200, res.text);
  });
});
