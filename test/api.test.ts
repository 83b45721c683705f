// The public API as an outside client sees it: problem+json for every refusal, nothing stored
// from a refused call, one store never seeing another's data, and stable cursor pagination.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import type { Express } from 'express';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { createStore } from '../src/stores/create-store.ts';
import { issueKeys } from '../src/security/api-keys.ts';
import { createApp } from '../src/web/app.ts';
import type { StoreId } from '../src/model/ids.ts';

type Problem = { type: string; title: string; status: number; detail: string; errors?: Array<{ index: number | null; path: string; message: string }> };

function assertProblem(res: request.Response, status: number, slug?: string): Problem {
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${res.text}`);
  assert.match(res.headers['content-type'] ?? '', /^application\/problem\+json/);
  const body = JSON.parse(res.text) as Problem;
  assert.equal(typeof body.type, 'string');
  assert.equal(typeof body.title, 'string');
  assert.ok(body.title.length > 0);
  assert.equal(body.status, status);
  assert.equal(typeof body.detail, 'string');
  assert.ok(body.detail.length > 0);
  if (slug) assert.equal(body.type, `https://storeflow.dev/problems/${slug}`);
  return body;
}

type StoreHandle = { id: StoreId; key: string; auth: string };

let rt: TestRuntime;
let app: Express;
let storeA: StoreHandle;
let storeB: StoreHandle;

async function newStore(domain: string): Promise<StoreHandle> {
  const created = await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain });
  return { id: created.store.id, key: created.privateKey, auth: `Bearer ${created.privateKey}` };
}

async function count(table: 'products' | 'variants' | 'events' | 'event_items' | 'profiles' | 'profile_lists', storeId: StoreId): Promise<number> {
  const { rows } = await rt.db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE store_id = $1`, [storeId]);
  return rows[0]!.n;
}

async function countAll(storeId: StoreId): Promise<Record<string, number>> {
  const tables = ['products', 'variants', 'events', 'event_items', 'profiles', 'profile_lists'] as const;
  return Object.fromEntries(await Promise.all(tables.map(async (t) => [t, await count(t, storeId)] as const)));
}

before(async () => {
  rt = await testRuntime();
  app = createApp(rt);
  storeA = await newStore('store-a.example');
  storeB = await newStore('store-b.example');
});

after(async () => {
  await rt.dispose();
});

describe('service basics', () => {
  test('GET /healthz answers ok', async () => {
    const res = await request(app).get('/healthz');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { status: 'ok' });
  });

  test('responses carry helmet security headers and no x-powered-by', async () => {
    for (const res of [await request(app).get('/healthz'), await request(app).get('/api/v1/catalog/products').set('Authorization', storeA.auth)]) {
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.ok(res.headers['content-security-policy']);
      assert.ok(res.headers['x-frame-options']);
      assert.equal(res.headers['x-powered-by'], undefined);
    }
  });

  test('a well-formed X-Request-Id is echoed; otherwise one is generated', async () => {
    const given = await request(app).get('/healthz').set('X-Request-Id', 'trace-123.abc');
    assert.equal(given.headers['x-request-id'], 'trace-123.abc');
    const hostile = await request(app).get('/healthz').set('X-Request-Id', 'bad id with spaces');
    assert.match(hostile.headers['x-request-id'] ?? '', /^[0-9a-f-]{36}$/);
    const none = await request(app).get('/healthz');
    assert.match(none.headers['x-request-id'] ?? '', /^[0-9a-f-]{36}$/);
    const onError = await request(app).get('/no/such/route').set('X-Request-Id', 'err-1');
    assert.equal(onError.headers['x-request-id'], 'err-1');
  });

  test('an unknown route is a 404 problem', async () => {
    assertProblem(await request(app).get('/no/such/route'), 404);
    assertProblem(await request(app).get('/api/v1/nothing-here').set('Authorization', storeA.auth), 404);
    assertProblem(await request(app).delete('/api/v1/catalog/items').set('Authorization', storeA.auth), 404);
  });
});

describe('authentication', () => {
  const routes = [
    { method: 'put', path: '/api/v1/catalog/items', body: { items: [] } },
    { method: 'post', path: '/api/v1/events', body: { events: [] } },
    { method: 'post', path: '/api/v1/profiles', body: { profiles: [] } },
    { method: 'get', path: '/api/v1/catalog/products' },
    { method: 'get', path: '/api/v1/events' },
    { method: 'get', path: '/api/v1/profiles' },
  ] as const;

  function call(route: (typeof routes)[number], auth?: string): request.Test {
    let req = request(app)[route.method](route.path);
    if (auth !== undefined) req = req.set('Authorization', auth);
    return 'body' in route ? req.send(route.body) : req;
  }

  test('a missing key is 401 with a Bearer challenge on every route', async () => {
    for (const route of routes) {
      const res = await call(route);
      assertProblem(res, 401, 'missing-key');
      assert.match(res.headers['www-authenticate'] ?? '', /^Bearer/);
    }
  });

  test('a key in the wrong scheme is 401', async () => {
    assertProblem(await call(routes[3], `Basic ${Buffer.from(`x:${storeA.key}`).toString('base64')}`), 401, 'missing-key');
    assertProblem(await call(routes[3], storeA.key), 401, 'missing-key');
  });

  test('a malformed or unknown key is 401', async () => {
    for (const route of routes) {
      assertProblem(await call(route, 'Bearer not-a-key'), 401, 'invalid-key');
      assertProblem(await call(route, `Bearer ${issueKeys().privateKey}`), 401, 'invalid-key');
    }
  });

  test("a key naming store A's key id with the wrong secret is 401", async () => {
    // Key id is the 12 characters after "sk_"; the secret part is replaced.
    const forged = `sk_${storeA.key.slice(3, 15)}_${'A'.repeat(32)}`;
    assert.notEqual(forged, storeA.key);
    for (const route of routes) assertProblem(await call(route, `Bearer ${forged}`), 401, 'invalid-key');
  });

  test('a public key is not accepted where the private key is required', async () => {
    const { rows } = await rt.db.pool.query<{ public_key: string }>('SELECT public_key FROM stores WHERE id = $1', [storeA.id]);
    assertProblem(await call(routes[3], `Bearer ${rows[0]!.public_key}`), 401, 'invalid-key');
  });

  test('an uninstalled store is refused with 403', async () => {
    const gone = await newStore('gone.example');
    await rt.db.pool.query("UPDATE stores SET status = 'uninstalled' WHERE id = $1", [gone.id]);
    assertProblem(await request(app).get('/api/v1/catalog/products').set('Authorization', gone.auth), 403);
  });
});

describe('bad input', () => {
  let store: StoreHandle;
  before(async () => {
    store = await newStore('bad-input.example');
  });

  const writeRoutes = [
    { method: 'put', path: '/api/v1/catalog/items', key: 'items' },
    { method: 'post', path: '/api/v1/events', key: 'events' },
    { method: 'post', path: '/api/v1/profiles', key: 'profiles' },
  ] as const;

  test('malformed JSON is 400 problem+json on every write route', async () => {
    for (const route of writeRoutes) {
      const res = await request(app)[route.method](route.path).set('Authorization', store.auth).set('Content-Type', 'application/json').send('{"items": [');
      const problem = assertProblem(res, 400, 'malformed-json');
      assert.equal(problem.title, 'Malformed request');
    }
    assert.deepEqual(Object.values(await countAll(store.id)), [0, 0, 0, 0, 0, 0]);
  });

  test('a body that is not JSON by content type is 415', async () => {
    for (const route of writeRoutes) {
      assertProblem(await request(app)[route.method](route.path).set('Authorization', store.auth).set('Content-Type', 'text/plain').send(`{"${route.key}":[]}`), 415);
      assertProblem(await request(app)[route.method](route.path).set('Authorization', store.auth).type('form').send(`${route.key}=1`), 415);
    }
  });

  test('application/*+json bodies are accepted as JSON', async () => {
    const res = await request(app)
      .post('/api/v1/profiles')
      .set('Authorization', store.auth)
      .set('Content-Type', 'application/merge-patch+json')
      .send(JSON.stringify({ profiles: [] }));
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { upserted: 0 });
  });

  test('1,001 items is 413 on catalog, events and profiles, and nothing is stored', async () => {
    const many = (n: number, make: (i: number) => unknown) => Array.from({ length: n }, (_, i) => make(i));
    const bodies = {
      items: many(1001, (i) => ({ externalId: `p${i}`, title: `P${i}`, inventoryQuantity: 1 })),
      events: many(1001, (i) => ({ metric: 'Viewed Product', profile: { email: `u${i}@example.com` }, uniqueId: `e${i}` })),
      profiles: many(1001, (i) => ({ email: `u${i}@example.com` })),
    };
    for (const route of writeRoutes) {
      const res = await request(app)[route.method](route.path).set('Authorization', store.auth).send({ [route.key]: bodies[route.key] });
      const problem = assertProblem(res, 413, 'batch-too-large');
      assert.match(problem.detail, /1000/);
    }
    assert.deepEqual(Object.values(await countAll(store.id)), [0, 0, 0, 0, 0, 0]);
  });

  test('exactly 1,000 catalog items are accepted', async () => {
    const fresh = await newStore('thousand.example');
    const items = Array.from({ length: 1000 }, (_, i) => ({ externalId: `p${i}`, title: `P${i}`, inventoryTracking: 'variant', variants: [{ externalId: `v${i}`, inventoryQuantity: i % 7 }] }));
    const res = await request(app).put('/api/v1/catalog/items').set('Authorization', fresh.auth).send({ items });
    assert.equal(res.status, 200);
    assert.equal(res.body.upserted, 1000);
    assert.equal(await count('products', fresh.id), 1000);
    assert.equal(await count('variants', fresh.id), 1000);
  });

  test('a body without the batch array is 422 naming the missing key', async () => {
    for (const route of writeRoutes) {
      const res = await request(app)[route.method](route.path).set('Authorization', store.auth).send({ something: [] });
      const problem = assertProblem(res, 422);
      assert.deepEqual(problem.errors, [{ index: null, path: route.key, message: 'must be an array' }]);
    }
    const arrayBody = await request(app).put('/api/v1/catalog/items').set('Authorization', store.auth).send([{ externalId: 'x', title: 'X' }]);
    assert.deepEqual(assertProblem(arrayBody, 422).errors, [{ index: null, path: 'items', message: 'required' }]);
  });

  test('a catalog batch with bad items is 422 listing each by index and path, and stores nothing', async () => {
    const res = await request(app)
      .put('/api/v1/catalog/items')
      .set('Authorization', store.auth)
      .send({
        items: [
          { externalId: 'ok-1', title: 'Fine', inventoryQuantity: 3 },
          { externalId: 'no-title', inventoryQuantity: 3 },
          { externalId: 'ok-2', title: 'Fine too', variants: [{ externalId: 'v', inventoryQuantity: 1 }] },
          { externalId: 'bad-variant', title: 'Bad', inventoryTracking: 'sometimes', variants: [{ externalId: 'v', inventoryQuantity: 1.5 }] },
          { externalId: 'bad-url', title: 'Bad', url: 'not a url', price: -1 },
        ],
      });
    const problem = assertProblem(res, 422);
    assert.match(problem.detail, /nothing from this call was stored/);
    const where = problem.errors!.map((e) => `${e.index}:${e.path}`).sort();
    assert.deepEqual(where, ['1:title', '3:inventoryTracking', '3:variants.0.inventoryQuantity', '4:price', '4:url']);
    assert.ok(problem.errors!.every((e) => typeof e.message === 'string' && e.message.length > 0));
    assert.equal(await count('products', store.id), 0);
    assert.equal(await count('variants', store.id), 0);
  });

  test('an events batch with bad items is 422 by index and path, and stores nothing', async () => {
    const res = await request(app)
      .post('/api/v1/events')
      .set('Authorization', store.auth)
      .send({
        events: [
          { metric: 'Viewed Product', profile: { email: 'ok@example.com' }, uniqueId: 'ok' },
          { metric: '', profile: { email: 'ok@example.com' } },
          { metric: 'Viewed Product', profile: {} },
          { metric: 'Viewed Product', profile: { email: 'not-an-email' }, time: '1999-01-01T00:00:00Z' },
          { metric: 'Viewed Product', profile: { phone: '555' }, value: 'lots' },
        ],
      });
    const problem = assertProblem(res, 422);
    const where = problem.errors!.map((e) => `${e.index}:${e.path}`).sort();
    assert.deepEqual(where, ['1:metric', '2:profile', '3:profile.email', '3:time', '4:profile.phone', '4:value']);
    assert.equal(await count('events', store.id), 0);
    assert.equal(await count('profiles', store.id), 0);
  });

  test('a profiles batch with bad items is 422 by index and path, and stores nothing', async () => {
    const res = await request(app)
      .post('/api/v1/profiles')
      .set('Authorization', store.auth)
      .send({
        profiles: [
          { email: 'fine@example.com', firstName: 'Fine' },
          { firstName: 'No identifier' },
          { email: 'x@example.com', timezone: 'Mars/Olympus', consent: { email: 'maybe' } },
          { email: 'y@example.com', lists: [''] },
        ],
      });
    const problem = assertProblem(res, 422);
    const where = problem.errors!.map((e) => `${e.index}:${e.path}`).sort();
    assert.deepEqual(where, ['1:(item)', '2:consent.email', '2:timezone', '3:lists.0']);
    assert.equal(await count('profiles', store.id), 0);
  });

  test('money past what the column holds is refused as invalid, not a server error', async () => {
    const catalog = await request(app).put('/api/v1/catalog/items').set('Authorization', store.auth).send({ items: [{ externalId: 'rich', title: 'Rich', price: 1e12 }] });
    assert.deepEqual(assertProblem(catalog, 422).errors!.map((e) => `${e.index}:${e.path}`), ['0:price']);
    const events = await request(app)
      .post('/api/v1/events')
      .set('Authorization', store.auth)
      .send({ events: [{ metric: 'Placed Order', profile: { email: 'rich@example.com' }, value: 1e12 }] });
    assert.deepEqual(assertProblem(events, 422).errors!.map((e) => `${e.index}:${e.path}`), ['0:value']);
    const largest = await request(app)
      .put('/api/v1/catalog/items')
      .set('Authorization', store.auth)
      .send({ items: [{ externalId: 'richest', title: 'Richest', price: 999_999_999_999.99 }] });
    assert.equal(largest.status, 200);
    const { rows } = await rt.db.pool.query<{ price: number }>('SELECT price FROM products WHERE store_id = $1 AND external_id = $2', [store.id, 'richest']);
    assert.equal(rows[0]!.price, 999_999_999_999.99);
    await rt.db.pool.query('DELETE FROM products WHERE store_id = $1', [store.id]);
  });

  test('variant quantities whose sum overflows the product quantity are refused as invalid', async () => {
    const res = await request(app)
      .put('/api/v1/catalog/items')
      .set('Authorization', store.auth)
      .send({
        items: [
          {
            externalId: 'huge',
            title: 'Huge',
            inventoryTracking: 'variant',
            variants: [
              { externalId: 'a', inventoryQuantity: 1_000_000_000 },
              { externalId: 'b', inventoryQuantity: 1_000_000_000 },
              { externalId: 'c', inventoryQuantity: 1_000_000_000 },
            ],
          },
        ],
      });
    assert.deepEqual(assertProblem(res, 422).errors!.map((e) => `${e.index}:${e.path}`), ['0:variants']);
    assert.equal(await count('products', store.id), 0);
  });

  test('a NUL character anywhere in a batch is 422 naming the field, not a server error', async () => {
    const catalog = await request(app).put('/api/v1/catalog/items').set('Authorization', store.auth).send({
      items: [
        { externalId: 'fine', title: 'Fine' },
        { externalId: 'nul', title: 'Bad\u0000title' },
      ],
    });
    assert.deepEqual(assertProblem(catalog, 422).errors!.map((e) => `${e.index}:${e.path}`), ['1:title']);
    const events = await request(app).post('/api/v1/events').set('Authorization', store.auth).send({
      events: [
        { metric: 'Viewed Product', profile: { email: 'nul@example.com' }, properties: { deep: { list: ['ok', 'b\u0000d'] } } },
        { metric: 'Viewed Product', profile: { externalId: 'id\u0000' } },
      ],
    });
    assert.deepEqual(assertProblem(events, 422).errors!.map((e) => `${e.index}:${e.path}`), ['0:properties.deep.list.1', '1:profile.externalId']);
    const profiles = await request(app).post('/api/v1/profiles').set('Authorization', store.auth).send({ profiles: [{ email: 'nul@example.com', properties: { 'k\u0000': 1 } }] });
    assert.deepEqual(assertProblem(profiles, 422).errors!.map((e) => `${e.index}:${e.path}`), ['0:properties']);
    assertProblem(await request(app).get('/api/v1/events').query({ metric: 'a\u0000b' }).set('Authorization', store.auth), 400, 'bad-query');
    assert.deepEqual(Object.values(await countAll(store.id)), [0, 0, 0, 0, 0, 0]);
  });

  test('bad query parameters and forged cursors are 400', async () => {
    assertProblem(await request(app).get('/api/v1/catalog/products?limit=0').set('Authorization', store.auth), 400, 'bad-query');
    assertProblem(await request(app).get('/api/v1/events?since=yesterday-ish').set('Authorization', store.auth), 400, 'bad-query');
    assertProblem(await request(app).get('/api/v1/profiles?email=nope').set('Authorization', store.auth), 400, 'bad-query');
    const forged = [
      'not-base64!',
      Buffer.from('{"after":"1 OR 1=1"}').toString('base64url'),
      Buffer.from('{"after":42}').toString('base64url'),
      Buffer.from('[]').toString('base64url'),
    ];
    for (const path of ['/api/v1/catalog/products', '/api/v1/events', '/api/v1/profiles']) {
      for (const cursor of forged) {
        assertProblem(await request(app).get(path).query({ cursor }).set('Authorization', store.auth), 400, 'bad-cursor');
      }
    }
    // A cursor from one listing does not fit another listing's id shape.
    const eventCursor = Buffer.from('{"after":"12"}').toString('base64url');
    assertProblem(await request(app).get('/api/v1/catalog/products').query({ cursor: eventCursor }).set('Authorization', store.auth), 400, 'bad-cursor');
  });
});

describe('reads, tenant isolation and pagination', () => {
  before(async () => {
    const seed = async (s: StoreHandle, tag: string) => {
      const items = Array.from({ length: 5 }, (_, i) => ({
        externalId: `${tag}-p${i}`,
        title: `${tag} product ${i}`,
        inventoryTracking: 'variant',
        variants: [
          { externalId: `${tag}-p${i}-a`, inventoryQuantity: i },
          { externalId: `${tag}-p${i}-b`, inventoryQuantity: 10 },
        ],
      }));
      const catalog = await request(app).put('/api/v1/catalog/items').set('Authorization', s.auth).send({ items });
      assert.equal(catalog.status, 200);
      assert.deepEqual(catalog.body, { upserted: 5, stale: 0 });
      const events = Array.from({ length: 5 }, (_, i) => ({
        metric: i % 2 ? 'Started Checkout' : 'Viewed Product',
        profile: { email: `${tag}-shopper${i}@example.com` },
        time: new Date(Date.UTC(2026, 0, 10 + i)).toISOString(),
        value: i,
        uniqueId: `${tag}-e${i}`,
        properties: i % 2 ? { Items: [{ ProductID: `${tag}-p${i}`, VariantID: `${tag}-p${i}-a`, Quantity: 2, ItemPrice: 5 }] } : { ProductID: `${tag}-p${i}`, Price: 9 },
      }));
      const ev = await request(app).post('/api/v1/events').set('Authorization', s.auth).send({ events });
      assert.equal(ev.status, 202);
      assert.deepEqual(ev.body, { accepted: 5, duplicates: 0 });
    };
    await seed(storeA, 'a');
    await seed(storeB, 'b');
  });

  async function allPages(path: string, store: StoreHandle, limit: number): Promise<{ pages: number; data: Array<Record<string, unknown>> }> {
    const data: Array<Record<string, unknown>> = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: request.Response = await request(app)
        .get(path)
        .query({ limit, ...(cursor ? { cursor } : {}) })
        .set('Authorization', store.auth);
      assert.equal(res.status, 200, res.text);
      assert.ok(res.body.data.length <= limit);
      data.push(...res.body.data);
      cursor = res.body.nextCursor;
      pages++;
      assert.ok(pages < 50, 'pagination must end');
    } while (cursor);
    return { pages, data };
  }

  test('products page with a cursor and each store sees only its own', async () => {
    const a = await allPages('/api/v1/catalog/products', storeA, 2);
    assert.equal(a.pages, 3);
    assert.deepEqual(a.data.map((p) => p.externalId).sort(), ['a-p0', 'a-p1', 'a-p2', 'a-p3', 'a-p4']);
    assert.equal(new Set(a.data.map((p) => p.id)).size, 5);
    const b = await allPages('/api/v1/catalog/products', storeB, 250);
    assert.equal(b.pages, 1);
    assert.deepEqual(b.data.map((p) => p.externalId).sort(), ['b-p0', 'b-p1', 'b-p2', 'b-p3', 'b-p4']);

    const p3 = a.data.find((p) => p.externalId === 'a-p3')!;
    assert.equal(p3.inventoryTracking, 'variant');
    assert.equal(p3.inventoryQuantity, 13);
    assert.deepEqual((p3.variants as Array<Record<string, unknown>>).map((v) => [v.externalId, v.inventoryQuantity]), [['a-p3-a', 3], ['a-p3-b', 10]]);
  });

  test("a cursor from store B's listing never reveals store A's rows", async () => {
    const first = await request(app).get('/api/v1/catalog/products').query({ limit: 1 }).set('Authorization', storeB.auth);
    const res = await request(app).get('/api/v1/catalog/products').query({ cursor: first.body.nextCursor, limit: 250 }).set('Authorization', storeA.auth);
    assert.equal(res.status, 200);
    assert.ok(res.body.data.every((p: { externalId: string }) => p.externalId.startsWith('a-')));
  });

  test("writing the same external id in another store leaves the first store's row alone", async () => {
    const res = await request(app)
      .put('/api/v1/catalog/items')
      .set('Authorization', storeB.auth)
      .send({ items: [{ externalId: 'a-p0', title: 'B owns this one', inventoryQuantity: 77 }] });
    assert.equal(res.status, 200);
    const { rows } = await rt.db.pool.query<{ store_id: string; title: string }>('SELECT store_id, title FROM products WHERE external_id = $1 ORDER BY title', [
      'a-p0',
    ]);
    assert.deepEqual(rows.map((r) => [r.store_id, r.title]).sort(), [
      [storeA.id, 'a product 0'],
      [storeB.id, 'B owns this one'],
    ].sort());
    await rt.db.pool.query('DELETE FROM products WHERE store_id = $1 AND external_id = $2', [storeB.id, 'a-p0']);
  });

  test('events page with a cursor, filter by metric and since, and stay within the store', async () => {
    const a = await allPages('/api/v1/events', storeA, 2);
    assert.equal(a.pages, 3);
    assert.deepEqual(a.data.map((e) => (e.profile as { email: string }).email).sort(), [0, 1, 2, 3, 4].map((i) => `a-shopper${i}@example.com`));
    const ids = a.data.map((e) => Number(e.id));
    assert.deepEqual(ids, [...ids].sort((x, y) => x - y), 'oldest first');

    const checkout = a.data.find((e) => e.metric === 'Started Checkout' && e.value === 1)!;
    assert.equal(checkout.time, '2026-01-11T00:00:00.000Z');
    assert.deepEqual(checkout.items, [{ productId: 'a-p1', variantId: 'a-p1-a', quantity: 2, price: 5 }]);
    assert.equal((checkout.profile as { phone: unknown }).phone, null);
    assert.match(String((checkout.profile as { id: unknown }).id), /^[0-9a-f-]{36}$/);
    assert.deepEqual(checkout.properties, { Items: [{ ProductID: 'a-p1', VariantID: 'a-p1-a', Quantity: 2, ItemPrice: 5 }] });
    const view = a.data.find((e) => e.metric === 'Viewed Product' && e.value === 0)!;
    assert.deepEqual(view.items, [{ productId: 'a-p0', variantId: null, quantity: 1, price: 9 }]);

    const filtered = await request(app).get('/api/v1/events').query({ metric: 'Started Checkout', since: '2026-01-12T00:00:00Z' }).set('Authorization', storeA.auth);
    assert.equal(filtered.status, 200);
    assert.deepEqual(filtered.body.data.map((e: { value: number }) => e.value), [3]);
    assert.equal(filtered.body.nextCursor, null);

    const b = await allPages('/api/v1/events', storeB, 500);
    assert.ok(b.data.every((e) => (e.profile as { email: string }).email.startsWith('b-')));
    assert.equal(b.data.length, 5);
  });

  test('profiles page with a cursor and stay within the store', async () => {
    const a = await allPages('/api/v1/profiles', storeA, 2);
    assert.equal(a.pages, 3);
    assert.ok(a.data.every((p) => String(p.email).startsWith('a-')));
    assert.equal(a.data.length, 5);
    const other = await request(app).get('/api/v1/profiles').query({ email: 'a-shopper1@example.com' }).set('Authorization', storeB.auth);
    assert.equal(other.status, 200);
    assert.deepEqual(other.body, { data: [], nextCursor: null });
  });

  test('an exact final page has no next cursor', async () => {
    const res = await request(app).get('/api/v1/catalog/products').query({ limit: 5 }).set('Authorization', storeA.auth);
    assert.equal(res.body.data.length, 5);
    assert.equal(res.body.nextCursor, null);
  });
});

describe('profiles API', () => {
  let store: StoreHandle;
  before(async () => {
    store = await newStore('profiles.example');
  });

  test('upserting a profile twice merges properties, consent and lists', async () => {
    const first = await request(app)
      .post('/api/v1/profiles')
      .set('Authorization', store.auth)
      .send({
        profiles: [
          {
            email: 'Nora@Example.com',
            firstName: 'Nora',
            timezone: 'Europe/Berlin',
            properties: { vip: true, size: 'M' },
            consent: { email: 'subscribed' },
            lists: ['newsletter'],
          },
        ],
      });
    assert.equal(first.status, 200);
    assert.deepEqual(first.body, { upserted: 1 });

    const second = await request(app)
      .post('/api/v1/profiles')
      .set('Authorization', store.auth)
      .send({
        profiles: [
          {
            email: 'nora@example.com',
            phone: '+49 30 1234567',
            lastName: 'Berg',
            properties: { size: 'L', birthday: '1990-04-01' },
            consent: { sms: 'subscribed' },
            lists: ['vip', 'newsletter'],
          },
        ],
      });
    assert.equal(second.status, 200);

    const res = await request(app).get('/api/v1/profiles').query({ email: 'NORA@example.com' }).set('Authorization', store.auth);
    assert.equal(res.status, 200);
    assert.equal(res.body.data.length, 1);
    const p = res.body.data[0];
    assert.equal(p.email, 'nora@example.com');
    assert.equal(p.phone, '+49301234567');
    assert.equal(p.firstName, 'Nora');
    assert.equal(p.lastName, 'Berg');
    assert.equal(p.timezone, 'Europe/Berlin');
    assert.deepEqual(p.properties, { vip: true, size: 'L', birthday: '1990-04-01' });
    assert.deepEqual(p.consent, { email: 'subscribed', sms: 'subscribed' });
    assert.deepEqual(p.lists, ['newsletter', 'vip']);

    assert.equal(await count('profiles', store.id), 1);
    assert.equal(await count('profile_lists', store.id), 2);
    const { rows } = await rt.db.pool.query<{ email_consent: string; sms_consent: string; properties: unknown }>(
      'SELECT email_consent, sms_consent, properties FROM profiles WHERE store_id = $1',
      [store.id],
    );
    assert.deepEqual(rows[0], { email_consent: 'subscribed', sms_consent: 'subscribed', properties: { vip: true, size: 'L', birthday: '1990-04-01' } });
  });

  test('a profile found by phone or external id is updated rather than duplicated', async () => {
    await request(app).post('/api/v1/profiles').set('Authorization', store.auth).send({ profiles: [{ externalId: 'crm-1', firstName: 'Olga' }] });
    await request(app).post('/api/v1/profiles').set('Authorization', store.auth).send({ profiles: [{ externalId: 'crm-1', email: 'olga@example.com', consent: { email: 'unsubscribed' } }] });
    const res = await request(app).get('/api/v1/profiles').query({ externalId: 'crm-1' }).set('Authorization', store.auth);
    assert.equal(res.body.data.length, 1);
    assert.equal(res.body.data[0].email, 'olga@example.com');
    assert.equal(res.body.data[0].firstName, 'Olga');
    assert.equal(res.body.data[0].consent.email, 'unsubscribed');
    const byEmail = await request(app).get('/api/v1/profiles').query({ email: 'olga@example.com' }).set('Authorization', store.auth);
    assert.equal(byEmail.body.data[0].id, res.body.data[0].id);
  });

  test('events attach to the profile the profiles API created', async () => {
    await request(app).post('/api/v1/profiles').set('Authorization', store.auth).send({ profiles: [{ email: 'pia@example.com', firstName: 'Pia' }] });
    const ev = await request(app)
      .post('/api/v1/events')
      .set('Authorization', store.auth)
      .send({ events: [{ metric: 'Viewed Product', profile: { email: 'PIA@example.com' }, uniqueId: 'pia-1' }] });
    assert.equal(ev.status, 202);
    const { rows } = await rt.db.pool.query<{ first_name: string }>(
      'SELECT p.first_name FROM events e JOIN profiles p ON p.store_id = e.store_id AND p.id = e.profile_id WHERE e.store_id = $1 AND e.unique_id = $2',
      [store.id, 'pia-1'],
    );
    assert.deepEqual(rows, [{ first_name: 'Pia' }]);
  });
});

describe('write responses', () => {
  test('the events API reports duplicates on a repeated call and stores nothing twice', async () => {
    const store = await newStore('events-retry.example');
    const body = { events: [1, 2, 3].map((i) => ({ metric: 'Viewed Product', profile: { email: 'q@example.com' }, uniqueId: `r${i}`, properties: { ProductID: `p${i}` } })) };
    const first = await request(app).post('/api/v1/events').set('Authorization', store.auth).send(body);
    assert.equal(first.status, 202);
    assert.deepEqual(first.body, { accepted: 3, duplicates: 0 });
    const second = await request(app).post('/api/v1/events').set('Authorization', store.auth).send(body);
    assert.equal(second.status, 202);
    assert.deepEqual(second.body, { accepted: 0, duplicates: 3 });
    assert.equal(await count('events', store.id), 3);
    assert.equal(await count('event_items', store.id), 3);
  });

  test('the catalog API reports stale items from an out-of-order retry', async () => {
    const store = await newStore('catalog-retry.example');
    const at = (updatedAt: string, qty: number) => ({ items: [{ externalId: 'x', title: 'X', inventoryQuantity: qty, updatedAt }] });
    const newer = await request(app).put('/api/v1/catalog/items').set('Authorization', store.auth).send(at('2026-03-02T00:00:00Z', 4));
    assert.deepEqual(newer.body, { upserted: 1, stale: 0 });
    const older = await request(app).put('/api/v1/catalog/items').set('Authorization', store.auth).send(at('2026-03-01T00:00:00Z', 9));
    assert.equal(older.status, 200);
    assert.deepEqual(older.body, { upserted: 0, stale: 1 });
    const { rows } = await rt.db.pool.query<{ inventory_quantity: number }>('SELECT inventory_quantity FROM products WHERE store_id = $1', [store.id]);
    assert.deepEqual(rows, [{ inventory_quantity: 4 }]);
  });
});

describe('rate limit', () => {
  let limited: TestRuntime;
  before(async () => {
    limited = await testRuntime({ env: { API_RATE_LIMIT: '3' } });
  });
  after(async () => {
    await limited.dispose();
  });

  test('the call past the per-key limit is 429 problem+json, other keys unaffected', async () => {
    const limitedApp = createApp(limited);
    const one = await createStore(limited.db.pool, limited.secrets, { platform: 'custom', domain: 'limited-1.example' });
    const two = await createStore(limited.db.pool, limited.secrets, { platform: 'custom', domain: 'limited-2.example' });
    for (let i = 0; i < 3; i++) {
      const ok = await request(limitedApp).get('/api/v1/catalog/products').set('Authorization', `Bearer ${one.privateKey}`);
      assert.equal(ok.status, 200);
    }
    const refused = await request(limitedApp)
      .post('/api/v1/events')
      .set('Authorization', `Bearer ${one.privateKey}`)
      .send({ events: [{ metric: 'Viewed Product', profile: { email: 'r@example.com' }, uniqueId: 'over' }] });
    assertProblem(refused, 429);
    assert.ok(refused.headers['ratelimit'] || refused.headers['ratelimit-policy'], 'standard rate-limit headers tell the client when to retry');
    const { rows } = await limited.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE store_id = $1', [one.store.id]);
    assert.equal(rows[0]!.n, 0, 'a refused call stores nothing');

    const other = await request(limitedApp).get('/api/v1/catalog/products').set('Authorization', `Bearer ${two.privateKey}`);
    assert.equal(other.status, 200);
  });

  test('the limit holds across web processes: calls spread over two apps share one count', async () => {
    const apps = [createApp(limited), createApp(limited)];
    const three = await createStore(limited.db.pool, limited.secrets, { platform: 'custom', domain: 'limited-3.example' });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await request(apps[i % 2]!).get('/api/v1/catalog/products').set('Authorization', `Bearer ${three.privateKey}`)).status);
    }
    assert.deepEqual(statuses, [200, 200, 200, 429]);
  });
});
