// Security review items, one test each: CSRF on every form post of the merchant app and the
// support console (found by walking their routers, so a new form is covered when it lands),
// security headers on pages and the API, the rate limits (API key and /track), signed message
// links that any flipped byte breaks, and tenant isolation beyond what test/api.test.ts covers.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import type { Express, Router } from 'express';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { assertProblemResponse } from './helpers/drill.ts';
import { signIn } from './helpers/browser-client.ts';
import { emailMessage, newProfile } from './helpers/messaging-fixtures.ts';
import { createApp } from '../src/web/app.ts';
import { appRoutes } from '../src/web/ui/app-routes.ts';
import { supportRoutes } from '../src/web/ui/support-routes.ts';
import { createStore } from '../src/stores/create-store.ts';
import { issueMerchantLogin } from '../src/accounts/merchant-accounts.ts';
import { enqueueMessage } from '../src/messaging/outbox.ts';
import { clickUrl, messageLinkKey, openUrl, unsubscribeUrl } from '../src/messaging/links.ts';
import { getConsent } from '../src/db/repositories/messaging-consent.ts';
import type { StoreId } from '../src/model/ids.ts';

const ADMIN = { email: 'lead@support.example', password: 'a-long-admin-password' };

type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } };

/** Every POST path a router (and routers mounted in it at its root) answers. */
function postPaths(router: Router): string[] {
  const walk = (stack: Layer[]): string[] =>
    stack.flatMap((l) => (l.route ? (l.route.methods.post ? [l.route.path] : []) : l.handle?.stack ? walk(l.handle.stack) : []));
  return walk((router as unknown as { stack: Layer[] }).stack);
}

describe('security review', () => {
  let rt: TestRuntime;
  let app: Express;
  let a: { id: StoreId; privateKey: string; publicKey: string };
  let b: { id: StoreId; privateKey: string; publicKey: string };

  const stateRows = async (): Promise<Record<string, number>> => {
    const { rows } = await rt.db.pool.query<Record<string, number>>(
      `SELECT (SELECT count(*) FROM flows)::int AS flows, (SELECT count(*) FROM flow_versions)::int AS versions,
              (SELECT count(*) FROM messages)::int AS messages, (SELECT count(*) FROM support_audit)::int AS audit,
              (SELECT count(*) FROM staff)::int AS staff, (SELECT count(*) FROM merchant_accounts)::int AS accounts,
              (SELECT md5(string_agg(status || coalesce(low_inventory_catalog, ''), ',' ORDER BY id)) FROM stores) AS stores`,
    );
    return rows[0]!;
  };

  before(async () => {
    // The /track calls name their shopper's address in X-Forwarded-For, as a proxy on loopback would.
    rt = await testRuntime({ env: { SUPPORT_BOOTSTRAP_EMAIL: ADMIN.email, SUPPORT_BOOTSTRAP_PASSWORD: ADMIN.password, API_RATE_LIMIT: '5', TRUST_PROXY: 'loopback' } });
    app = createApp(rt);
    const ca = await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: 'review-a.example' });
    const cb = await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: 'review-b.example' });
    a = { id: ca.store.id, privateKey: ca.privateKey, publicKey: ca.publicKey };
    b = { id: cb.store.id, privateKey: cb.privateKey, publicKey: cb.publicKey };
  });
  after(async () => rt?.dispose());

  test('CSRF: every form post of /app and /support without the session token, or with a wrong one, is 403 and changes nothing', async () => {
    const login = await issueMerchantLogin(rt.db.pool, a.id, 'owner@review-a.example');
    const merchant = await signIn(app, 'app', 'owner@review-a.example', login.password);
    // Created through the app itself, with its token, so the id routes have a real target.
    const made = await merchant.agent.post('/app/flows').type('form').send({ _csrf: merchant.csrf, preset: 'welcome' });
    assert.ok(made.status < 400, made.text.slice(0, 300));
    const { rows } = await rt.db.pool.query<{ id: string }>('SELECT id FROM flows WHERE store_id = $1 LIMIT 1', [a.id]);
    const flowId = rows[0]!.id;
    const staff = await signIn(app, 'support', ADMIN.email, ADMIN.password);

    const sets: Array<[string, Router, typeof merchant, string]> = [
      ['/app', appRoutes(rt), merchant, flowId],
      ['/support', supportRoutes(rt), staff, a.id],
    ];
    let checked = 0;
    for (const [prefix, router, session, id] of sets) {
      const paths = postPaths(router);
      assert.ok(paths.length >= 3, `found the form posts of ${prefix}: ${paths.join(', ')}`);
      for (const path of paths) {
        const url = prefix + path.replace(/:id\b/g, id).replace(/:\w+/g, 'email');
        const before = await stateRows();
        for (const token of [undefined, 'x'.repeat(43), session.csrf.slice(0, -1) + (session.csrf.endsWith('A') ? 'B' : 'A')]) {
          const form: Record<string, string> = { preset: 'welcome', status: 'live', email: 'new@support.example', password: 'long-enough-password', role: 'admin', action: 'enable', type: 'exit', at: 'start' };
          if (token) form._csrf = token;
          const res = await session.agent.post(url).type('form').send(form);
          assert.equal(res.status, 403, `${url} with ${token ? 'a wrong' : 'no'} token: ${res.status}`);
        }
        // The header form of the token is checked the same way.
        assert.equal((await session.agent.post(url).set('X-CSRF-Token', 'forged').type('form').send({})).status, 403, url);
        assert.deepEqual(await stateRows(), before, `${url} changed state without a valid token`);
        checked++;
      }
    }
    assert.ok(checked >= 10, `checked ${checked} form posts`);
  });

  test('security headers: helmet on HTML pages, the API, problem answers and scripts', async () => {
    const profileId = await newProfile(rt, a.id, { email: 'headers@example.com' });
    const key = messageLinkKey(rt.secrets);
    const paths = [new URL(unsubscribeUrl(rt.config.appUrl, key, a.id, profileId, 'email')).pathname, '/app/login', '/support/login', '/api/v1/catalog/products', '/api/v1/catalog/products', '/no-such-page', '/t.js', '/healthz'];
    const pages: request.Response[] = [];
    for (const [i, path] of paths.entries()) pages.push(await (i === 3 ? request(app).get(path).set('Authorization', `Bearer ${b.privateKey}`) : request(app).get(path)));
    for (const [i, res] of pages.entries()) {
      const where = `GET ${paths[i]} (${res.status})`;
      assert.match(res.headers['content-security-policy'] ?? '', /default-src 'self'/, where);
      assert.match(res.headers['content-security-policy'] ?? '', /frame-ancestors 'self'|frame-ancestors 'none'/, where);
      assert.match(res.headers['strict-transport-security'] ?? '', /max-age=\d{7,}/, where);
      assert.equal(res.headers['x-content-type-options'], 'nosniff', where);
      assert.ok(['SAMEORIGIN', 'DENY'].includes(String(res.headers['x-frame-options'])), where);
      assert.equal(res.headers['referrer-policy'] !== undefined, true, where);
      assert.equal(res.headers['x-powered-by'], undefined, where);
    }
    const unsubscribe = pages[0]!;
    assert.equal(unsubscribe.headers['cache-control'], 'no-store');
    assert.equal(unsubscribe.headers['referrer-policy'], 'no-referrer', 'the token in the URL never leaks as a referrer');
  });

  test("rate limits: the API per key (another store's key unaffected) and /track per shopper address", async () => {
    const call = (k: string) => request(app).get('/api/v1/catalog/products').set('Authorization', `Bearer ${k}`);
    for (let i = 0; i < 5; i++) assert.equal((await call(a.privateKey)).status, 200);
    const limited = await call(a.privateKey);
    assertProblemResponse(limited.status, limited.headers['content-type'], limited.text, 429);
    assert.match(String(limited.headers['ratelimit-policy'] ?? ''), /5/);
    // The limit follows the key, not the address the calls come from.
    assert.equal((await call(a.privateKey).set('X-Forwarded-For', '10.9.9.9')).status, 429);
    assert.equal((await call(b.privateKey)).status, 200);

    const track = (ip: string, n: number) =>
      request(app)
        .post('/api/v1/track')
        .set('X-Forwarded-For', ip)
        .set('Content-Type', 'text/plain')
        .send(JSON.stringify({ publicKey: b.publicKey, metric: 'Viewed Product', profile: { email: 'shopper@example.com' }, properties: { ProductID: 'p' }, uniqueId: `${ip}-${n}` }));
    const statuses: number[] = [];
    for (let i = 0; i < 121; i++) statuses.push((await track('10.7.0.1', i)).status);
    assert.deepEqual(statuses.slice(0, 120), Array(120).fill(202));
    const over = await track('10.7.0.1', 121);
    assertProblemResponse(over.status, over.headers['content-type'], over.text, 429);
    assert.equal((await track('10.7.0.2', 0)).status, 202, 'another shopper is unaffected');
    const { rows } = await rt.db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM events WHERE store_id = $1 AND unique_id LIKE '10.7.0.1-%'", [b.id]);
    assert.equal(rows[0]!.n, 120, 'the refused calls stored nothing');
  });

  test('unsubscribe, open and click links: flipping any single byte of the token is a 400 and changes nothing', async () => {
    const key = messageLinkKey(rt.secrets);
    const profileId = await newProfile(rt, a.id, { email: 'links@example.com', consent: { email: 'subscribed' } });
    const { id } = await enqueueMessage(rt.db.pool, emailMessage(a.id, profileId, 'links@example.com'));
    const urls = [
      unsubscribeUrl(rt.config.appUrl, key, a.id, profileId, 'email'),
      openUrl(rt.config.appUrl, key, a.id, id),
      clickUrl(rt.config.appUrl, key, a.id, id, 'https://shop.example/p/1'),
    ];
    for (const url of urls) {
      const path = new URL(url).pathname;
      const token = path.split('/').pop()!;
      const raw = Buffer.from(token, 'base64url');
      for (let i = 0; i < raw.length; i++) {
        const flipped = Buffer.from(raw);
        flipped[i] = flipped[i]! ^ 0x01;
        const forged = path.replace(token, flipped.toString('base64url'));
        const res = path.startsWith('/u/') ? await request(app).post(forged).type('form').send('List-Unsubscribe=One-Click') : await request(app).get(forged);
        assert.equal(res.status, 400, `byte ${i} of ${path.slice(0, 3)}`);
        assert.equal(res.headers.location, undefined);
      }
    }
    assert.equal((await getConsent(rt.db.pool, a.id, profileId))?.email, 'subscribed');
    const { rows } = await rt.db.pool.query<{ opened_at: Date | null; clicked_at: Date | null }>('SELECT opened_at, clicked_at FROM messages WHERE store_id = $1 AND id = $2', [a.id, id]);
    assert.deepEqual(rows[0], { opened_at: null, clicked_at: null });
  });

  test("tenant isolation: one store's key never reads or changes another store's flows, segments or messages", async () => {
    const bAuth = { Authorization: `Bearer ${b.privateKey}` };
    // This runtime allows 5 calls a minute per key (for the rate-limit test), counted in the
    // database across apps: each call here starts from no count.
    const fresh = async () => {
      await rt.db.pool.query('DELETE FROM rate_limit_hits');
      return createApp(rt);
    };
    const aAuth = { Authorization: `Bearer ${a.privateKey}` };
    const flow = await request(await fresh()).post('/api/v1/flows').set(bAuth).send({ preset: 'welcome' });
    assert.equal(flow.status, 201, flow.text);
    const flowId = flow.body.id as string;
    const segment = await request(await fresh()).post('/api/v1/segments').set(bAuth).send({ name: 'VIPs', conditions: [{ path: 'profile.properties.vip', op: 'eq', value: true }] });
    assert.equal(segment.status, 201, segment.text);
    const segmentId = segment.body.id as string;
    const before = await rt.db.pool.query('SELECT f.id, f.status, (SELECT count(*) FROM flow_versions v WHERE v.store_id = f.store_id AND v.flow_id = f.id)::int AS versions FROM flows f WHERE f.store_id = $1', [b.id]);

    for (const res of [
      await request(await fresh()).get(`/api/v1/flows/${flowId}`).set(aAuth),
      await request(await fresh()).get(`/api/v1/flows/${flowId}/report`).set(aAuth),
      await request(await fresh()).get(`/api/v1/flows/${flowId}/audience`).query({ productId: 'p' }).set(aAuth),
      await request(await fresh()).patch(`/api/v1/flows/${flowId}`).set(aAuth).send({ status: 'live' }),
      await request(await fresh()).put(`/api/v1/flows/${flowId}`).set(aAuth).send({ preset: 'welcome' }),
      await request(await fresh()).get(`/api/v1/segments/${segmentId}`).set(aAuth),
    ]) {
      assert.ok([404, 422].includes(res.status), `${res.status} ${res.text.slice(0, 200)}`);
      assert.match(res.headers['content-type'] ?? '', /problem\+json/);
      assert.ok(!res.text.includes(flowId) || res.status === 422);
    }
    const lists = [await request(await fresh()).get('/api/v1/flows').set(aAuth), await request(await fresh()).get('/api/v1/messages').query({ flowId }).set(aAuth), await request(await fresh()).get('/api/v1/segments').set(aAuth)];
    for (const res of lists) {
      assert.equal(res.status, 200, res.text);
      assert.ok(!res.text.includes(flowId) && !res.text.includes(segmentId), `a listing shows another store's data: ${res.text.slice(0, 200)}`);
    }
    const after = await rt.db.pool.query('SELECT f.id, f.status, (SELECT count(*) FROM flow_versions v WHERE v.store_id = f.store_id AND v.flow_id = f.id)::int AS versions FROM flows f WHERE f.store_id = $1', [b.id]);
    assert.deepEqual(after.rows, before.rows);
  });
});
