// The storefront tracker: public (browser-callable with only the public key), so it must
// accept just the storefront metrics and refuse anything else without storing it.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import type { Express } from 'express';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { createStore } from '../src/stores/create-store.ts';
import { createApp } from '../src/web/app.ts';
import type { StoreId } from '../src/model/ids.ts';

let rt: TestRuntime;
let app: Express;
let storeId: StoreId;
let publicKey: string;
let privateKey: string;

before(async () => {
  rt = await testRuntime();
  app = createApp(rt);
  const created = await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: 'shop.example' });
  storeId = created.store.id;
  publicKey = created.publicKey;
  privateKey = created.privateKey;
});

after(async () => {
  await rt.dispose();
});

// What a browser's sendBeacon posts: JSON text labelled text/plain, so no preflight.
function beacon(body: unknown): request.Test {
  return request(app)
    .post('/api/v1/track')
    .set('Origin', 'https://shop.example')
    .set('Content-Type', 'text/plain;charset=UTF-8')
    .send(typeof body === 'string' ? body : JSON.stringify(body));
}

type StoredRow = { metric: string; email: string | null; value: number | null; time: Date; items: Array<{ product_external_id: string | null; variant_external_id: string | null; quantity: number; price: number | null }> };

async function stored(): Promise<StoredRow[]> {
  const { rows } = await rt.db.pool.query<StoredRow>(
    `SELECT e.metric, p.email, e.value, e.time,
       COALESCE((SELECT json_agg(json_build_object('product_external_id', i.product_external_id, 'variant_external_id', i.variant_external_id,
          'quantity', i.quantity, 'price', i.price) ORDER BY i.position)
        FROM event_items i WHERE i.store_id = e.store_id AND i.event_id = e.id), '[]'::json) AS items
     FROM events e JOIN profiles p ON p.store_id = e.store_id AND p.id = e.profile_id
     WHERE e.store_id = $1 ORDER BY e.id`,
    [storeId],
  );
  return rows;
}

function assertProblem(res: request.Response, status: number): { type: string; errors?: Array<{ path: string }> } {
  assert.equal(res.status, status, res.text);
  assert.match(res.headers['content-type'] ?? '', /^application\/problem\+json/);
  const body = JSON.parse(res.text) as { type: string; title: string; status: number; detail: string; errors?: Array<{ path: string }> };
  assert.equal(body.status, status);
  assert.ok(body.title && body.detail && body.type);
  return body;
}

describe('snippet and preflight', () => {
  test('GET /t.js serves the tracker as cacheable JavaScript embeddable from any site', async () => {
    const res = await request(app).get('/t.js');
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'] ?? '', /^application\/javascript/);
    assert.match(res.headers['cache-control'] ?? '', /max-age=\d+/);
    assert.equal(res.headers['cross-origin-resource-policy'], 'cross-origin');
    assert.match(res.text, /\/api\/v1\/track/);
    assert.match(res.text, /sendBeacon/);
  });

  test('OPTIONS /api/v1/track answers the CORS preflight', async () => {
    const res = await request(app)
      .options('/api/v1/track')
      .set('Origin', 'https://shop.example')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'content-type');
    assert.equal(res.status, 204);
    assert.equal(res.headers['access-control-allow-origin'], '*');
    assert.match(res.headers['access-control-allow-methods'] ?? '', /POST/);
    assert.match(res.headers['access-control-allow-headers'] ?? '', /content-type/i);
    assert.ok(Number(res.headers['access-control-max-age']) > 0);
  });
});

describe('POST /api/v1/track', () => {
  test('a text/plain JSON beacon with the public key is accepted and stored with its item', async () => {
    const res = await beacon({
      publicKey,
      metric: 'Viewed Product',
      profile: { email: 'Shopper@Example.com' },
      properties: { ProductID: 'prod-1', VariantID: 'var-1', Price: '24.50', Title: 'Blue shirt' },
      value: 24.5,
    });
    assert.equal(res.status, 202, res.text);
    assert.deepEqual(res.body, { accepted: 1, duplicates: 0 });
    assert.equal(res.headers['access-control-allow-origin'], '*', 'the browser may read the answer');

    const rows = await stored();
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.metric, 'Viewed Product');
    assert.equal(rows[0]!.email, 'shopper@example.com');
    assert.equal(rows[0]!.value, 24.5);
    assert.deepEqual(rows[0]!.items, [{ product_external_id: 'prod-1', variant_external_id: 'var-1', quantity: 1, price: 24.5 }]);
  });

  test('Started Checkout with an Items list stores every item; JSON content type works too', async () => {
    const before = (await stored()).length;
    const res = await request(app)
      .post('/api/v1/track')
      .set('Content-Type', 'application/json')
      .send(
        JSON.stringify({
          publicKey,
          metric: 'Started Checkout',
          profile: { phone: '+14155550123' },
          properties: { Items: [{ ProductID: 'prod-1', Quantity: 2, ItemPrice: 10 }, { ProductID: 'prod-2', VariantID: 'v2' }] },
        }),
      );
    assert.equal(res.status, 202, res.text);
    const rows = await stored();
    assert.equal(rows.length, before + 1);
    assert.deepEqual(rows.at(-1)!.items, [
      { product_external_id: 'prod-1', variant_external_id: null, quantity: 2, price: 10 },
      { product_external_id: 'prod-2', variant_external_id: 'v2', quantity: 1, price: null },
    ]);
  });

  test('a repeated beacon with the same uniqueId is stored once', async () => {
    const body = { publicKey, metric: 'Added to Cart', profile: { email: 'cart@example.com' }, properties: { ProductID: 'prod-3' }, uniqueId: 'atc-1' };
    assert.deepEqual((await beacon(body)).body, { accepted: 1, duplicates: 0 });
    const again = await beacon(body);
    assert.equal(again.status, 202);
    assert.deepEqual(again.body, { accepted: 0, duplicates: 1 });
    assert.equal((await stored()).filter((r) => r.metric === 'Added to Cart').length, 1);
  });

  test('a time sent by the browser is ignored: storefront events happen now', async () => {
    const res = await beacon({ publicKey, metric: 'Viewed Product', profile: { email: 'clock@example.com' }, time: '2001-01-01T00:00:00Z', uniqueId: 'clock-1' });
    assert.equal(res.status, 202);
    const { rows } = await rt.db.pool.query<{ time: Date; received_at: Date }>('SELECT time, received_at FROM events WHERE store_id = $1 AND unique_id = $2', [storeId, 'clock-1']);
    assert.ok(rows[0]!.time.getUTCFullYear() > 2001);
  });

  test('an unknown public key is 401 and nothing is stored', async () => {
    const before = (await stored()).length;
    for (const key of ['pk_doesnotexist000000', privateKey]) {
      const res = await beacon({ publicKey: key, metric: 'Viewed Product', profile: { email: 'x@example.com' }, properties: { ProductID: 'p' } });
      assert.equal(assertProblem(res, 401).type, 'https://storeflow.dev/problems/invalid-key');
    }
    assert.equal((await stored()).length, before);
  });

  test("an uninstalled store's public key is refused", async () => {
    const gone = await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: 'gone.example' });
    await rt.db.pool.query("UPDATE stores SET status = 'uninstalled' WHERE id = $1", [gone.store.id]);
    assertProblem(await beacon({ publicKey: gone.publicKey, metric: 'Viewed Product', profile: { email: 'x@example.com' } }), 401);
    const { rows } = await rt.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE store_id = $1', [gone.store.id]);
    assert.equal(rows[0]!.n, 0);
  });

  test('a metric other than Viewed Product, Added to Cart or Started Checkout is 422', async () => {
    const before = (await stored()).length;
    for (const metric of ['Placed Order', 'Ordered Product', 'Anything Else']) {
      const res = await beacon({ publicKey, metric, profile: { email: 'x@example.com' }, value: 1000 });
      assert.deepEqual(assertProblem(res, 422).errors!.map((e) => e.path), ['metric']);
    }
    assert.equal((await stored()).length, before);
  });

  test('an invalid profile or out-of-range value is 422 naming the field', async () => {
    const noIdentity = await beacon({ publicKey, metric: 'Viewed Product', profile: {} });
    assert.deepEqual(assertProblem(noIdentity, 422).errors!.map((e) => e.path), ['profile']);
    const huge = await beacon({ publicKey, metric: 'Viewed Product', profile: { email: 'x@example.com' }, value: 1e20 });
    assert.deepEqual(assertProblem(huge, 422).errors!.map((e) => e.path), ['value']);
    const nul = await beacon({ publicKey, metric: 'Viewed Product', profile: { email: 'x@example.com' }, properties: { Title: 'a\u0000b' } });
    assert.deepEqual(assertProblem(nul, 422).errors!.map((e) => e.path), ['properties.Title']);
  });

  test('a malformed or empty body is 400', async () => {
    const before = (await stored()).length;
    const broken = await beacon('{"publicKey": "pk_x", ');
    assert.equal(assertProblem(broken, 400).type, 'https://storeflow.dev/problems/malformed-json');
    assertProblem(await beacon(''), 400);
    assert.equal((await stored()).length, before);
  });

  test('an oversized body is 413', async () => {
    const res = await beacon({ publicKey, metric: 'Viewed Product', profile: { email: 'x@example.com' }, properties: { blob: 'x'.repeat(40_000) } });
    assertProblem(res, 413);
  });
});
