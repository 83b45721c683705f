// The browser side's guards: sign-in and its throttle, CSRF refusal, cookie flags, and a
// merchant never reaching another store's flows, products or messages by changing an id.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import type { Express } from 'express';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { csrfOf, signIn } from './helpers/browser-client.ts';
import { createApp } from '../src/web/app.ts';
import { createStore } from '../src/stores/create-store.ts';
import { issueMerchantLogin } from '../src/accounts/merchant-accounts.ts';
import { createFlow } from '../src/flows/flow-service.ts';
import { ingestCatalog } from '../src/ingest/ingest-catalog.ts';
import { demoCatalog } from '../src/demo/seed-demo.ts';
import { listProducts } from '../src/db/repositories/catalog.ts';
import { listStoreFlows } from '../src/flows/flow-service.ts';
import { enqueueMessage } from '../src/messaging/outbox.ts';
import { resolveProfiles } from '../src/ingest/resolve-profiles.ts';
import { findMessage } from '../src/db/repositories/messages.ts';
import type { Store } from '../src/model/store.ts';
import { LOGIN_ATTEMPTS_PER_WINDOW } from '../src/web/ui/login-limit.ts';

let rt: TestRuntime;
let app: Express;
let storeA: Store;
let storeB: Store;
const login = { a: { email: 'owner@a.example', password: '' }, b: { email: 'owner@b.example', password: '' } };

before(async () => {
  // The throttle tests name their client addresses in X-Forwarded-For, as a proxy on loopback would.
  rt = await testRuntime({ env: { TRUST_PROXY: 'loopback' } });
  app = createApp(rt);
  storeA = (await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: 'a.example' })).store;
  storeB = (await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: 'b.example' })).store;
  login.a.password = (await issueMerchantLogin(rt.db.pool, storeA.id, login.a.email)).password;
  login.b.password = (await issueMerchantLogin(rt.db.pool, storeB.id, login.b.email)).password;
  for (const s of [storeA, storeB]) await ingestCatalog(rt.db.pool, s.id, demoCatalog(), { now: new Date() });
});

after(async () => {
  await rt.dispose();
});

test('pages need a session; sign-in sets a HttpOnly SameSite=Lax cookie scoped to /app', async () => {
  const anon = await request(app).get('/app/flows');
  assert.equal(anon.status, 303);
  assert.equal(anon.headers.location, '/app/login');
  const agent = request.agent(app);
  const page = await agent.get('/app/login').expect(200);
  assert.match(page.headers['content-security-policy'] ?? '', /script-src 'self'/);
  const res = await agent.post('/app/login').type('form').send({ _csrf: csrfOf(page.text), email: login.a.email, password: login.a.password });
  assert.equal(res.status, 303);
  const cookie = String(res.headers['set-cookie']);
  assert.match(cookie, /sf_app=[\w-]{40,}/);
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Lax/);
  assert.match(cookie, /Path=\/app/);
  assert.doesNotMatch(cookie, /Secure/, 'plain http APP_URL: no Secure flag');
  const home = await agent.get('/app').expect(200);
  assert.match(home.text, /Get started with a\.example/);
});

test('a wrong password is refused with the email kept and no session', async () => {
  const agent = request.agent(app);
  const page = await agent.get('/app/login');
  const res = await agent.post('/app/login').type('form').send({ _csrf: csrfOf(page.text), email: login.a.email, password: 'not-it' });
  assert.equal(res.status, 401);
  assert.match(res.text, /do not match/);
  assert.match(res.text, /value="owner@a\.example"/);
  assert.equal((await agent.get('/app')).status, 303);
});

test('a post without the session CSRF token is refused with a readable 403 page and changes nothing', async () => {
  const { agent } = await signIn(app, 'app', login.a.email, login.a.password);
  const before = (await listStoreFlows(rt.db.pool, storeA)).length;
  const noToken = await agent.post('/app/flows').type('form').send({ preset: 'welcome' });
  assert.equal(noToken.status, 403);
  assert.match(noToken.headers['content-type'] ?? '', /text\/html/);
  assert.match(noToken.text, /expired or did not come from this site/);
  const wrong = await agent.post('/app/flows').type('form').send({ preset: 'welcome', _csrf: 'x'.repeat(43) });
  assert.equal(wrong.status, 403);
  // A token from another session is no better than none.
  const other = await signIn(app, 'app', login.b.email, login.b.password);
  assert.equal((await agent.post('/app/flows').type('form').send({ preset: 'welcome', _csrf: other.csrf })).status, 403);
  assert.equal((await listStoreFlows(rt.db.pool, storeA)).length, before);
  const loginNoToken = await request(app).post('/app/login').type('form').send({ email: login.a.email, password: login.a.password });
  assert.equal(loginNoToken.status, 403);
});

test('another store’s flow, product and message ids answer 404 and change nothing', async () => {
  const flowB = await createFlow(rt.db.pool, storeB, { preset: 'abandoned-checkout' }, { lowInventory: [] });
  assert.ok(flowB.ok);
  const productB = (await listProducts(rt.db.pool, storeB.id, undefined, 1))[0]!;
  const profile = (await resolveProfiles(rt.db.pool, storeB.id, [{ email: 'shopper@b.example' }]))[0]!;
  const held = await enqueueMessage(rt.db.pool, {
    storeId: storeB.id, flowId: flowB.flow.id, flowVersion: 1, runId: null, stepId: 'email', profileId: profile, channel: 'email',
    to: 'shopper@b.example', subject: 'Hi', html: '<p>Hi</p>', text: null, dedupeKey: 'held-b-1', status: 'held',
  });
  const { agent, csrf } = await signIn(app, 'app', login.a.email, login.a.password);
  const id = flowB.flow.id;
  for (const path of [`/app/flows/${id}`, `/app/flows/${id}/report`, `/app/flows/${id}/settings`, `/app/flows/${id}/review`, `/app/flows/${id}/definition`, `/app/flows/${id}/steps/email`, `/app/catalog/${productB.id}`, '/app/flows/not-a-uuid']) {
    const res = await agent.get(path);
    assert.equal(res.status, 404, path);
    assert.match(res.text, /<h1>Not found<\/h1>/, path);
  }
  assert.equal((await agent.post(`/app/flows/${id}/status`).type('form').send({ _csrf: csrf, status: 'live' })).status, 404);
  assert.equal((await agent.post(`/app/flows/${id}/steps/email/remove`).type('form').send({ _csrf: csrf })).status, 404);
  assert.equal((await agent.post(`/app/flows/${id}/steps`).type('form').send({ _csrf: csrf, type: 'exit', at: 'start' })).status, 404);
  const send = await agent.post(`/app/messages/${held.id}/send`).type('form').send({ _csrf: csrf });
  assert.equal(send.status, 303);
  assert.match(send.headers.location ?? '', /done=gone/);
  assert.equal((await findMessage(rt.db.pool, storeB.id, held.id))!.status, 'held');
  const [flowAfter] = await listStoreFlows(rt.db.pool, storeB);
  assert.equal(flowAfter!.status, 'draft');
  assert.equal(flowAfter!.version, 1);
  // And store B's own merchant does see them.
  const b = await signIn(app, 'app', login.b.email, login.b.password);
  assert.equal((await b.agent.get(`/app/flows/${id}`)).status, 200);
  assert.equal((await b.agent.get(`/app/catalog/${productB.id}`)).status, 200);
});

test('a bad step setting is shown inline on its field with what was typed, and nothing is saved', async () => {
  const created = await createFlow(rt.db.pool, storeA, { preset: 'abandoned-checkout' }, { lowInventory: [] });
  assert.ok(created.ok);
  const { agent, csrf } = await signIn(app, 'app', login.a.email, login.a.password);
  const res = await agent.post(`/app/flows/${created.flow.id}/steps/wait`).type('form').send({ _csrf: csrf, id: 'wait', delay_kind: 'for', duration_amount: 'soon', duration_unit: 'hours', next: 'ordered' });
  assert.equal(res.status, 422);
  assert.match(res.text, /id="duration_amount" name="duration_amount" type="number" value="soon" aria-invalid="true"/);
  assert.match(res.text, /id="duration_amount-error">enter a whole number above 0 and choose a unit/);
  assert.doesNotMatch(res.text, /ISO 8601/);
  const ok = await agent.post(`/app/flows/${created.flow.id}/steps/wait`).type('form').send({ _csrf: csrf, id: 'wait', delay_kind: 'for', duration_amount: '90', duration_unit: 'minutes', next: 'ordered' });
  assert.equal(ok.status, 303);
  const page = await agent.get(`/app/flows/${created.flow.id}`);
  assert.match(page.text, /Wait 90 minutes/);
  const form = await agent.get(`/app/flows/${created.flow.id}/steps/wait`);
  assert.match(form.text, /id="duration_amount" name="duration_amount" type="number" value="90"/);
});

test('sign-in is throttled per account whatever the address: guesses spread over four addresses share one count', async () => {
  const addresses = ['198.51.100.1', '198.51.100.2', '203.0.113.7', '2001:db8::1'];
  const agents = addresses.map(() => request.agent(app));
  const tokens = await Promise.all(agents.map(async (a, k) => csrfOf((await a.get('/app/login').set('X-Forwarded-For', addresses[k]!)).text)));
  const statuses: number[] = [];
  for (let i = 0; i <= LOGIN_ATTEMPTS_PER_WINDOW; i++) {
    const k = i % addresses.length;
    const res = await agents[k]!.post('/app/login').set('X-Forwarded-For', addresses[k]!).type('form').send({ _csrf: tokens[k], email: 'victim@a.example', password: `guess-${i}` });
    statuses.push(res.status);
  }
  assert.deepEqual(statuses.slice(0, LOGIN_ATTEMPTS_PER_WINDOW), Array(LOGIN_ATTEMPTS_PER_WINDOW).fill(401));
  assert.equal(statuses.at(-1), 429);
});

test('the sign-in throttle holds across web processes: attempts spread over two apps share one count', async () => {
  const other = createApp(rt);
  const agents = [request.agent(app), request.agent(other)];
  const tokens = await Promise.all(agents.map(async (a) => csrfOf((await a.get('/app/login')).text)));
  const statuses: number[] = [];
  for (let i = 0; i <= LOGIN_ATTEMPTS_PER_WINDOW; i++) {
    const k = i % 2;
    statuses.push((await agents[k]!.post('/app/login').type('form').send({ _csrf: tokens[k], email: 'spread@a.example', password: `guess-${i}` })).status);
  }
  assert.deepEqual(statuses.slice(0, LOGIN_ATTEMPTS_PER_WINDOW), Array(LOGIN_ATTEMPTS_PER_WINDOW).fill(401));
  assert.equal(statuses.at(-1), 429);
  // The support console counts its own sign-ins: the merchant page's count does not lock it.
  const staff = request.agent(app);
  const page = await staff.get('/support/login');
  assert.equal((await staff.post('/support/login').type('form').send({ _csrf: csrfOf(page.text), email: 'spread@a.example', password: 'guess' })).status, 401);
});
