// Hostile input against the public API, property-based: whatever arrives (random or oversized
// bodies, deep JSON, wrong content types, any unicode, SQL and HTML in names), the answer is a 4xx
// problem+json or, for valid input, a 2xx; never a 5xx. Refused calls change no stored row, and
// accepted names are stored and read back byte for byte.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import request from 'supertest';
import type { Express } from 'express';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { assertProblemResponse } from './helpers/drill.ts';
import { createStore } from '../src/stores/create-store.ts';
import { createApp } from '../src/web/app.ts';
import { renderTemplate } from '../src/messaging/templates.ts';
import type { StoreId } from '../src/model/ids.ts';

const RUNS = Number(process.env.HOSTILE_RUNS ?? 150);

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/vnd.api+json',
  'text/plain',
  'text/html',
  'application/xml',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/octet-stream',
  'application/json; charset=utf-16',
  'application/json; charset=koi8-r',
  'application/json; charset=nope',
];

/** Strings that have broken parsers, SQL builders and HTML renderers before. */
const NASTY = [
  "Robert'); DROP TABLE events;--",
  "' OR 1=1 --",
  '"; SELECT pg_sleep(10); --',
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '{{ 7 * 7 }}{% raw %}',
  '\u202e\u0301\ud83d\ude00 \u0000-free but odd \u2028\u2029',
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 名前 اسم',
  '$1 $2 \\x00 %s %n',
  '../../etc/passwd',
];

const nastyString = fc.oneof(fc.constantFrom(...NASTY), fc.string({ unit: 'grapheme', maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 40 }));

/** Bodies from garbage bytes to almost-valid batches. */
const body = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.json({ maxDepth: 4 }),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify({ events: v, items: v, profiles: v })),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify({ events: [v], items: [v], profiles: [v] })),
  fc.integer({ min: 40, max: 4000 }).map((d) => `{"events":[{"metric":"m","profile":{"email":"a@b.co"},"properties":{"x":${'['.repeat(d)}${']'.repeat(d)}}}]}`),
  fc.integer({ min: 40, max: 4000 }).map((d) => `${'{"a":'.repeat(d)}1${'}'.repeat(d)}`),
  fc.constantFrom('', 'null', '[]', '{}', '{"events":null}', '{"items":{}}', '{"profiles":"x"}', '\ufeff{}', '{"__proto__":{"polluted":1}}'),
);

type Counts = Record<string, number>;

describe('hostile input: public API', () => {
  let rt: TestRuntime;
  let app: Express;
  let storeId: StoreId;
  let auth: string;
  let publicKey: string;

  const counts = async (): Promise<Counts> => {
    const { rows } = await rt.db.pool.query<Counts>(
      `SELECT (SELECT count(*) FROM products WHERE store_id = $1)::int AS products,
              (SELECT count(*) FROM variants WHERE store_id = $1)::int AS variants,
              (SELECT count(*) FROM events WHERE store_id = $1)::int AS events,
              (SELECT count(*) FROM event_items WHERE store_id = $1)::int AS event_items,
              (SELECT count(*) FROM profiles WHERE store_id = $1)::int AS profiles,
              (SELECT count(*) FROM inventory_observations WHERE store_id = $1)::int AS observations`,
      [storeId],
    );
    return rows[0]!;
  };

  /** Sends, then holds the answer to the promise: 2xx, or a 4xx problem+json that changed nothing. */
  async function checkAnswer(send: () => Promise<request.Response>): Promise<request.Response> {
    const before = await counts();
    const res = await send();
    assert.ok(res.status < 500, `5xx: ${res.status} ${res.text.slice(0, 300)}`);
    if (res.status >= 300) {
      assertProblemResponse(res.status, res.headers['content-type'], res.text, (s) => s >= 400 && s < 500);
      assert.deepEqual(await counts(), before, `a refused call (${res.status}) changed stored rows`);
    }
    return res;
  }

  before(async () => {
    rt = await testRuntime({ env: { API_RATE_LIMIT: '1000000', TRUST_PROXY: 'loopback' } });
    app = createApp(rt);
    const created = await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: 'hostile.example.com' });
    storeId = created.store.id;
    auth = `Bearer ${created.privateKey}`;
    publicKey = created.publicKey;
  });
  after(async () => rt?.dispose());

  for (const [method, path] of [
    ['put', '/api/v1/catalog/items'],
    ['post', '/api/v1/events'],
    ['post', '/api/v1/profiles'],
  ] as const) {
    test(`${method.toUpperCase()} ${path}: random bodies under random content types are 2xx or a 4xx problem, never a 5xx`, async () => {
      await fc.assert(
        fc.asyncProperty(body, fc.constantFrom(...CONTENT_TYPES), async (b, type) => {
          await checkAnswer(() => request(app)[method](path).set('Authorization', auth).set('Content-Type', type).send(b));
        }),
        { numRuns: RUNS },
      );
    });
  }

  test('POST /api/v1/track: random bodies and content types, with or without a valid key, never a 5xx', async () => {
    const trackBody = fc.oneof(
      body,
      fc.record({
        publicKey: fc.oneof(fc.constant(publicKey), nastyString),
        metric: fc.oneof(fc.constantFrom('Viewed Product', 'Added to Cart', 'Started Checkout'), nastyString),
        profile: fc.oneof(fc.record({ email: fc.emailAddress() }), fc.record({ externalId: nastyString }), fc.jsonValue({ maxDepth: 2 })),
        properties: fc.dictionary(nastyString, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }),
      }).map((v) => JSON.stringify(v)),
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(trackBody, fc.constantFrom(...CONTENT_TYPES), async (b, type) => {
        // A shopper address of its own per call (TRUST_PROXY=loopback trusts X-Forwarded-For here), so
        // the per-address limit does not turn the rest of the run into 429s.
        const ip = `10.1.${(n >> 8) & 255}.${n++ & 255}`;
        await checkAnswer(() => request(app).post('/api/v1/track').set('X-Forwarded-For', ip).set('Content-Type', type).send(b));
      }),
      { numRuns: RUNS },
    );
  });

  test('oversized bodies are 413 problem+json and store nothing', async () => {
    const huge = JSON.stringify({ events: [{ metric: 'x', profile: { email: 'a@b.co' }, properties: { blob: 'x'.repeat(9 * 1024 * 1024) } }] });
    for (const path of ['/api/v1/events', '/api/v1/profiles']) {
      const res = await checkAnswer(() => request(app).post(path).set('Authorization', auth).set('Content-Type', 'application/json').send(huge));
      assert.equal(res.status, 413);
    }
    const res = await checkAnswer(() =>
      request(app).post('/api/v1/track').set('X-Forwarded-For', '10.2.0.1').set('Content-Type', 'text/plain').send(huge.slice(0, 64 * 1024)),
    );
    assert.equal(res.status, 413);
  });

  test('JSON nested thousands deep is a 422 naming the field, answered at once (it was a 500)', async () => {
    const deep = (d: number) => `${'['.repeat(d)}${']'.repeat(d)}`;
    for (const d of [64, 5_000, 100_000]) {
      const res = await checkAnswer(() =>
        request(app)
          .post('/api/v1/events')
          .set('Authorization', auth)
          .set('Content-Type', 'application/json')
          .send(`{"events":[{"metric":"m","profile":{"email":"deep@example.com"},"properties":{"x":${deep(d)}}}]}`),
      );
      assert.equal(res.status, 422, res.text.slice(0, 300));
      assert.match(res.body.errors[0].path, /^properties\.x\.0\.0/);
      assert.match(res.body.errors[0].message, /levels deep/);
    }
    // A realistic nesting depth is still taken.
    const ok = await checkAnswer(() =>
      request(app)
        .post('/api/v1/events')
        .set('Authorization', auth)
        .send({ events: [{ metric: 'Nested', profile: { email: 'deep@example.com' }, properties: { x: JSON.parse(deep(10)) as unknown } }] }),
    );
    assert.equal(ok.status, 202);
  });

  test('metrics named after Object.prototype members are plain names (they were a 500)', async () => {
    for (const metric of ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf']) {
      const res = await checkAnswer(() =>
        request(app)
          .post('/api/v1/events')
          .set('Authorization', auth)
          .send({ events: [{ metric, profile: { email: 'proto@example.com' }, properties: { ProductID: 'p' }, uniqueId: `proto-${metric}` }] }),
      );
      assert.equal(res.status, 202, res.text);
      const read = await request(app).get('/api/v1/events').query({ metric }).set('Authorization', auth);
      assert.deepEqual(read.body.data.map((e: { metric: string }) => e.metric), [metric]);
    }
  });

  test('SQL, HTML and any unicode in names are stored verbatim and read back verbatim', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(nastyString.filter((s) => s.trim().length > 0 && s.length <= 255), nastyString, async (name, value) => {
        const id = `item-${n++}`;
        const put = await checkAnswer(() =>
          request(app)
            .put('/api/v1/catalog/items')
            .set('Authorization', auth)
            .send({ items: [{ externalId: id, title: name, inventoryTracking: 'product', inventoryQuantity: 3, variants: [{ externalId: `${id}-v`, title: name }] }] }),
        );
        if (put.status !== 200) return; // refused as invalid (e.g. a lone surrogate, NUL): nothing stored, checked above
        const ev = await checkAnswer(() =>
          request(app)
            .post('/api/v1/events')
            .set('Authorization', auth)
            .send({ events: [{ metric: name.trim(), profile: { email: 'verbatim@example.com' }, properties: { ProductID: id, Name: value }, uniqueId: id }] }),
        );
        const { rows } = await rt.db.pool.query<{ title: string }>('SELECT title FROM products WHERE store_id = $1 AND external_id = $2', [storeId, id]);
        // Titles are trimmed on the way in (the schema says so); nothing else about them changes.
        assert.equal(rows[0]!.title, name.trim());
        if (ev.status !== 202) return;
        const read = await request(app).get('/api/v1/events').query({ metric: name.trim() }).set('Authorization', auth);
        assert.equal(read.status, 200, read.text);
        const found = (read.body.data as Array<{ metric: string; properties: Record<string, unknown> }>).find((e) => e.properties.ProductID === id);
        assert.ok(found, 'the event reads back');
        assert.equal(found.metric, name.trim());
        assert.equal(found.properties.Name, value);
      }),
      { numRuns: Math.min(RUNS, 100) },
    );
  });

  test('names are escaped where they are rendered into email HTML, and left alone in plain text', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...NASTY.filter((s) => /[<>&"']/.test(s))), async (title) => {
        const vars = { product: { title }, profile: { firstName: title } };
        const html = await renderTemplate('<p>{{ profile.firstName }} — {{ product.title }}</p>', vars, { escapeHtml: true });
        const inner = html.output.replace(/^<p>/, '').replace(/<\/p>$/, '');
        assert.doesNotMatch(inner, /[<>"']/, `unescaped markup in ${html.output}`);
        const text = await renderTemplate('{{ product.title }}', vars);
        assert.equal(text.output, title);
      }),
      { numRuns: 20 },
    );
  });

  test('random query strings on the read endpoints are 200 or a 400 problem, never a 5xx', async () => {
    const query = fc.dictionary(fc.constantFrom('cursor', 'limit', 'metric', 'since', 'email', 'flowId', 'status', 'x'), nastyString, { maxKeys: 4 });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/api/v1/catalog/products', '/api/v1/events', '/api/v1/profiles', '/api/v1/messages'), query, async (path, q) => {
        await checkAnswer(() => request(app).get(path).query(q).set('Authorization', auth));
      }),
      { numRuns: RUNS },
    );
  });
});
