// Hostile input against every webhook endpoint, property-based: random bodies and headers under
// random content types, forged signatures (one flipped byte), replays, oversized and deep bodies.
// Every refusal is a 4xx problem+json and leaves the inbox as it was; a replay of a real delivery
// is acknowledged and stored once; nothing is ever a 5xx.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startServer, type WebServer } from '../src/web/server.ts';
import { createStore } from '../src/stores/create-store.ts';
import { saveInstallation } from '../src/db/repositories/stores.ts';
import { installWixSite } from './helpers/install.ts';
import { isWixConnector } from '../connectors/wix/wix-connector.ts';
import { SECRET_HEADER } from '../connectors/bigcommerce/verify-webhook.ts';
import type { WebhookRequest } from '../connectors/connector.ts';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { assertProblemResponse, countRows, httpRequest } from './helpers/drill.ts';
import { ENV as SHOPIFY_ENV, fixture, sign, signedDelivery } from './fixtures/shopify/kit.ts';
import { CLIENT_ID, CLIENT_SECRET, STORE_HASH, envelope as bcEnvelope, signedRequest as bcSigned } from './fixtures/bigcommerce/payloads.ts';
import { hs256WithPublicKey, signWixJwt, unsignedJwt, wixEnv } from './fixtures/wix/sign.ts';
import { defaultState, installWixStub } from './fixtures/wix/api-stub.ts';
import * as wixEvents from './fixtures/wix/events.ts';

const RUNS = Number(process.env.HOSTILE_RUNS ?? 150);
const CONTENT_TYPES = ['application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=b', 'application/octet-stream', 'application/json; charset=utf-16', ''];

const randomBody = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.json({ maxDepth: 4 }),
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a).toString('latin1')),
  fc.integer({ min: 50, max: 3000 }).map((d) => `${'['.repeat(d)}${']'.repeat(d)}`),
  fc.constantFrom('', '{}', 'null', 'eyJhbGciOiJSUzI1NiJ9.e30.', 'a.b.c', '{"scope":"store/order/created","producer":"stores/' + STORE_HASH + '"}'),
);

/** Header sets a forger might try: the names the verifiers read, with junk or near-miss values. */
const headerValue = fc.oneof(fc.string({ maxLength: 80 }).filter((s) => /^[\x20-\x7e]*$/.test(s)), fc.base64String({ maxLength: 64 }));
const randomHeaders = fc.dictionary(
  fc.constantFrom(
    'x-shopify-hmac-sha256',
    'x-shopify-topic',
    'x-shopify-shop-domain',
    'x-shopify-webhook-id',
    'x-shopify-event-id',
    'shopify-hmac-sha256',
    SECRET_HEADER,
    'webhook-id',
    'webhook-timestamp',
    'webhook-signature',
  ),
  headerValue,
  { maxKeys: 6 },
);

function flipByte(buf: Buffer, at: number): Buffer {
  const copy = Buffer.from(buf);
  const i = at % copy.length;
  copy[i] = copy[i]! ^ 0x01;
  return copy;
}

describe('hostile input: webhook endpoints', () => {
  let rt: TestRuntime;
  let web: WebServer;
  let restoreWix: () => void;

  const inbox = () => countRows(rt.db.pool, 'webhook_inbox');

  type Answer = { status: number; headers: Record<string, string | string[] | undefined>; text: string; body: { status?: string } };

  /** Over node:http, byte for byte: supertest would re-encode a Buffer sent as JSON. */
  const post = async (platform: string, d: WebhookRequest, contentType?: string): Promise<Answer> => {
    const headers: Record<string, string> = {};
    if (contentType) headers['content-type'] = contentType;
    for (const [k, v] of Object.entries(d.headers)) if (typeof v === 'string') headers[k] = v;
    const res = await httpRequest(`http://127.0.0.1:${web.port}/webhooks/${encodeURIComponent(platform)}`, { method: 'POST', headers, body: d.rawBody });
    let body: Answer['body'] = {};
    try {
      body = JSON.parse(res.text) as Answer['body'];
    } catch {
      // not JSON: the assertions on status and content type say what is wrong
    }
    return { status: res.status, headers: res.headers, text: res.text, body };
  };

  /** A refusal: 4xx problem+json and no inbox row. */
  async function refused(send: () => Promise<Answer>, status?: number): Promise<Answer> {
    const before = await inbox();
    const res = await send();
    assert.ok(res.status < 500, `5xx: ${res.status} ${res.text.slice(0, 300)}`);
    assertProblemResponse(res.status, String(res.headers['content-type'] ?? ''), res.text, status ?? ((s) => s >= 400 && s < 500));
    assert.equal(await inbox(), before, 'a refused delivery stored nothing');
    return res;
  }

  before(async () => {
    rt = await testRuntime({ env: { ...SHOPIFY_ENV, ...wixEnv, BIGCOMMERCE_CLIENT_ID: CLIENT_ID, BIGCOMMERCE_CLIENT_SECRET: CLIENT_SECRET } });
    const shop = await createStore(rt.db.pool, rt.secrets, { platform: 'shopify', domain: 'storeflow-test.myshopify.com' });
    await saveInstallation(rt.db.pool, shop.store.id, { accessTokenSealed: rt.secrets.seal('shpat_hostile'), scopes: [] });
    const bc = await createStore(rt.db.pool, rt.secrets, { platform: 'bigcommerce', domain: 'hostile-bc.example.com' });
    await saveInstallation(rt.db.pool, bc.store.id, { accessTokenSealed: rt.secrets.seal('bc-token'), scopes: [], externalId: STORE_HASH });
    restoreWix = installWixStub(defaultState());
    assert.ok(isWixConnector(rt.connectors.wix));
    await installWixSite({ pool: rt.db.pool, secrets: rt.secrets }, wixEvents.INSTANCE);
    web = await startServer(rt, 0);
  });
  after(async () => {
    await web?.stop();
    restoreWix?.();
    await rt?.dispose();
  });

  for (const platform of ['shopify', 'bigcommerce', 'wix']) {
    test(`/webhooks/${platform}: random bodies, headers and content types are refused with a 4xx problem and store nothing`, async () => {
      await fc.assert(
        fc.asyncProperty(randomBody, randomHeaders, fc.constantFrom(...CONTENT_TYPES), async (body, headers, type) => {
          await refused(() => post(platform, { headers, rawBody: Buffer.from(body, 'utf8') }, type));
        }),
        { numRuns: RUNS },
      );
    });
  }

  test('forged signatures: one flipped byte in the body or the signature of a real delivery is a 401', async () => {
    const shopify = signedDelivery('orders/create', fixture('orders-create'));
    const bigcommerce = bcSigned(bcEnvelope('store/order/created', { type: 'order', id: 42 }));
    const wixJwt = Buffer.from(signWixJwt(wixEvents.orderCreated));
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.constantFrom('body', 'signature'), async (at, what) => {
        if (what === 'body') {
          await refused(() => post('shopify', { headers: shopify.headers, rawBody: flipByte(shopify.rawBody, at) }, 'application/json'));
          // BigCommerce's static header carries no body signature; the Standard Webhooks one does.
          await refused(() => post('bigcommerce', { headers: bigcommerce.headers, rawBody: flipByte(bigcommerce.rawBody, at) }, 'application/json'));
          // The JWT's payload part; a flip in its signature part is the other branch.
          const dot = wixJwt.indexOf(0x2e);
          await refused(() => post('wix', { headers: {}, rawBody: flipByte(wixJwt, dot + 1 + (at % 40)) }, 'text/plain'));
        } else {
          const hmac = String(shopify.headers['x-shopify-hmac-sha256']);
          const forged = Buffer.from(hmac, 'base64');
          await refused(() => post('shopify', { headers: { ...shopify.headers, 'x-shopify-hmac-sha256': flipByte(forged, at).toString('base64') }, rawBody: shopify.rawBody }, 'application/json'), 401);
          const secret = String(bigcommerce.headers[SECRET_HEADER]);
          await refused(() => post('bigcommerce', { headers: { ...bigcommerce.headers, [SECRET_HEADER]: flipByte(Buffer.from(secret), at).toString('latin1') }, rawBody: bigcommerce.rawBody }, 'application/json'), 401);
          const last = wixJwt.lastIndexOf(0x2e);
          const sigLen = wixJwt.length - last - 1;
          await refused(() => post('wix', { headers: {}, rawBody: flipByte(wixJwt, last + 1 + (at % sigLen)) }, 'text/plain'), 401);
        }
      }),
      { numRuns: 40 },
    );
  });

  test('JWT forgeries (alg none, HS256 with the public key) and expired tokens are 401', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const jwt of [unsignedJwt(wixEvents.orderCreated), hs256WithPublicKey(wixEvents.orderCreated), signWixJwt(wixEvents.orderCreated, { iat: now - 7200, exp: now - 3600 })]) {
      await refused(() => post('wix', { headers: {}, rawBody: Buffer.from(jwt) }, 'text/plain'), 401);
    }
  });

  test('replays: a real delivery sent again is acknowledged as a duplicate and stored once; a stale Standard Webhooks timestamp is refused', async () => {
    const deliveries: Array<[string, WebhookRequest, string]> = [
      ['shopify', signedDelivery('orders/create', fixture('orders-create')), 'application/json'],
      ['bigcommerce', bcSigned(bcEnvelope('store/order/created', { type: 'order', id: 4242 })), 'application/json'],
      ['wix', { headers: {}, rawBody: Buffer.from(signWixJwt(wixEvents.orderApproved)) }, 'text/plain'],
    ];
    for (const [platform, d, type] of deliveries) {
      const first = await post(platform, d, type);
      assert.equal(first.status, 200, first.text);
      assert.equal(first.body.status, 'queued');
      const stored = await inbox();
      for (let i = 0; i < 5; i++) {
        const again = await post(platform, d, type);
        assert.equal(again.status, 200);
        assert.equal(again.body.status, 'duplicate');
      }
      assert.equal(await inbox(), stored, `${platform}: replays stored nothing`);
    }
    // Standard Webhooks signatures carry their time: a captured delivery replayed after
    // BigCommerce's retry window (about 48 hours) is refused.
    const body = bcEnvelope('store/order/created', { type: 'order', id: 777 });
    const stale = bcSigned(body);
    const old = Math.floor(Date.now() / 1000) - 50 * 3600;
    const { Webhook } = await import('standardwebhooks');
    const headers = { ...stale.headers, 'webhook-timestamp': String(old), 'webhook-signature': new Webhook(Buffer.from(CLIENT_SECRET, 'utf8'), { format: 'raw' }).sign(String(stale.headers['webhook-id']), new Date(old * 1000), stale.rawBody) };
    await refused(() => post('bigcommerce', { headers, rawBody: stale.rawBody }, 'application/json'), 401);
  });

  test('validly signed but hostile bodies (random JSON, deep nesting, wrong shapes) are 4xx or acknowledged, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(randomBody, fc.constantFrom('orders/create', 'products/update', 'customers/create', 'checkouts/create', 'collections/create'), async (body, topic) => {
        const raw = Buffer.from(body, 'utf8');
        const d: WebhookRequest = { headers: { ...signedDelivery(topic, {}).headers, 'x-shopify-hmac-sha256': sign(raw) }, rawBody: raw };
        const before = await inbox();
        const res = await post('shopify', d, 'application/json');
        assert.ok(res.status < 500, `5xx: ${res.status} ${res.text.slice(0, 300)}`);
        if (res.status !== 200) {
          assertProblemResponse(res.status, String(res.headers['content-type'] ?? ''), res.text, (s) => s >= 400 && s < 500);
          assert.equal(await inbox(), before);
        }
      }),
      { numRuns: RUNS },
    );
  });

  test('a validly signed body nested far deeper than any platform sends, or carrying U+0000, is acknowledged and parked (it was a 500)', async () => {
    const bodies = [10_000, 200_000].map((depth) => `{"id":1,"x":${'['.repeat(depth)}${']'.repeat(depth)}}`);
    // U+0000 is valid JSON but cannot be stored in jsonb either.
    bodies.push('{"id":1,"title":"a\\u0000b"}');
    for (const body of bodies) {
      const raw = Buffer.from(body);
      const d: WebhookRequest = { headers: { ...signedDelivery('collections/create', {}).headers, 'x-shopify-hmac-sha256': sign(raw) }, rawBody: raw };
      const res = await post('shopify', d, 'application/json');
      assert.deepEqual([res.status, res.body.status], [200, 'parked']);
    }
  });

  test('oversized bodies are 413 and an unknown platform is 404, both problem+json', async () => {
    const huge = Buffer.alloc(6 * 1024 * 1024, 0x61);
    for (const platform of ['shopify', 'bigcommerce', 'wix']) await refused(() => post(platform, { headers: {}, rawBody: huge }, 'application/json'), 413);
    await refused(() => post('magento', { headers: {}, rawBody: Buffer.from('{}') }, 'application/json'), 404);
    await refused(() => post('__proto__', { headers: {}, rawBody: Buffer.from('{}') }, 'application/json'), 404);
  });
});
