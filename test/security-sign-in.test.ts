// Password sign-in under attack: guesses spread over many client addresses still hit the
// per-account limit, one address spraying many accounts hits the per-address limit, a refused
// attempt computes no password hash, and TRUST_PROXY decides whose address X-Forwarded-For names.
import { test, before, after, mock } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import type { Express } from 'express';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { csrfOf, type Agent } from './helpers/browser-client.ts';
import { createApp } from '../src/web/app.ts';
import { createStore } from '../src/stores/create-store.ts';
import { issueMerchantLogin } from '../src/accounts/merchant-accounts.ts';
import { passwordChecks } from '../src/accounts/passwords.ts';
import { loadConfig } from '../src/config.ts';
import { LOGIN_ATTEMPTS_PER_ADDRESS, LOGIN_ATTEMPTS_PER_WINDOW } from '../src/web/ui/login-limit.ts';

const STAFF = { email: 'admin@storeflow.example', password: 'correct horse battery staple' };
const ADDRESSES = ['198.51.100.10', '198.51.100.11', '203.0.113.12', '2001:db8:1::13'];

let rt: TestRuntime;
let app: Express;
let merchant = { email: 'owner@throttle.example', password: '' };

before(async () => {
  rt = await testRuntime({ env: { TRUST_PROXY: 'loopback', SUPPORT_BOOTSTRAP_EMAIL: STAFF.email, SUPPORT_BOOTSTRAP_PASSWORD: STAFF.password } });
  app = createApp(rt);
  const { store } = await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: 'throttle.example' });
  merchant = { email: merchant.email, password: (await issueMerchantLogin(rt.db.pool, store.id, merchant.email)).password };
});

after(async () => {
  mock.restoreAll();
  await rt.dispose();
});

type Client = { agent: Agent; address: string; csrf: string };

async function clientAt(audience: 'app' | 'support', address: string, target: Express = app): Promise<Client> {
  const agent = request.agent(target);
  const page = await agent.get(`/${audience}/login`).set('X-Forwarded-For', address);
  return { agent, address, csrf: csrfOf(page.text) };
}

function attempt(c: Client, audience: 'app' | 'support', email: string, password: string) {
  return c.agent.post(`/${audience}/login`).set('X-Forwarded-For', c.address).type('form').send({ _csrf: c.csrf, email, password });
}

/** Four addresses take turns guessing at one account; returns each attempt's status and the hashes computed. */
async function spreadGuesses(audience: 'app' | 'support', email: string, guesses: number): Promise<{ statuses: number[]; hashes: number }> {
  const clients = await Promise.all(ADDRESSES.map((a) => clientAt(audience, a)));
  const verify = mock.method(passwordChecks, 'verify');
  try {
    const statuses: number[] = [];
    for (let i = 0; i < guesses; i++) statuses.push((await attempt(clients[i % clients.length]!, audience, email, `guess-${i}`)).status);
    return { statuses, hashes: verify.mock.callCount() };
  } finally {
    verify.mock.restore();
  }
}

test('merchant sign-in: 4 addresses × 5 guesses at one account are refused past the per-account limit, with no hash computed for a refused one', async () => {
  const { statuses, hashes } = await spreadGuesses('app', merchant.email, ADDRESSES.length * 5);
  assert.deepEqual(statuses.slice(0, LOGIN_ATTEMPTS_PER_WINDOW), Array(LOGIN_ATTEMPTS_PER_WINDOW).fill(401));
  assert.deepEqual(statuses.slice(LOGIN_ATTEMPTS_PER_WINDOW), Array(ADDRESSES.length * 5 - LOGIN_ATTEMPTS_PER_WINDOW).fill(429));
  assert.equal(hashes, LOGIN_ATTEMPTS_PER_WINDOW, 'one password check per admitted guess, none for a refused one');
  // Even the right password, from an address that never guessed, waits out the window.
  const fresh = await clientAt('app', '192.0.2.99');
  const verify = mock.method(passwordChecks, 'verify');
  const res = await attempt(fresh, 'app', merchant.email, merchant.password);
  verify.mock.restore();
  assert.equal(res.status, 429);
  assert.match(res.text, /Too many sign-in attempts/);
  assert.equal(verify.mock.callCount(), 0);
  assert.equal((await fresh.agent.get('/app')).status, 303, 'no session');
});

test('support sign-in: the same spread over 4 addresses is refused past the per-account limit, and counts apart from the merchant page', async () => {
  const { statuses, hashes } = await spreadGuesses('support', STAFF.email, ADDRESSES.length * 3);
  assert.deepEqual(statuses.slice(0, LOGIN_ATTEMPTS_PER_WINDOW), Array(LOGIN_ATTEMPTS_PER_WINDOW).fill(401));
  assert.deepEqual(statuses.slice(LOGIN_ATTEMPTS_PER_WINDOW), Array(ADDRESSES.length * 3 - LOGIN_ATTEMPTS_PER_WINDOW).fill(429));
  assert.equal(hashes, LOGIN_ATTEMPTS_PER_WINDOW);
});

test('one address spraying many accounts is refused past the per-address limit; another address is not held up', async () => {
  const sprayer = await clientAt('app', '198.51.100.200');
  const statuses: number[] = [];
  for (let i = 0; i <= LOGIN_ATTEMPTS_PER_ADDRESS; i++) statuses.push((await attempt(sprayer, 'app', `someone-${i}@spray.example`, 'Winter2025!')).status);
  assert.deepEqual(statuses.slice(0, LOGIN_ATTEMPTS_PER_ADDRESS), Array(LOGIN_ATTEMPTS_PER_ADDRESS).fill(401));
  assert.equal(statuses.at(-1), 429);
  const other = await clientAt('app', '198.51.100.201');
  assert.equal((await attempt(other, 'app', 'someone-0@spray.example', 'another guess')).status, 401);
});

test('the counts hold across web processes: guesses at one account spread over two apps and two addresses share one count', async () => {
  const apps = [app, createApp(rt)];
  const clients = await Promise.all([clientAt('app', '192.0.2.1', apps[0]), clientAt('app', '192.0.2.2', apps[1])]);
  const statuses: number[] = [];
  for (let i = 0; i <= LOGIN_ATTEMPTS_PER_WINDOW; i++) statuses.push((await attempt(clients[i % 2]!, 'app', 'two-processes@throttle.example', `g-${i}`)).status);
  assert.equal(statuses.filter((s) => s === 401).length, LOGIN_ATTEMPTS_PER_WINDOW);
  assert.equal(statuses.at(-1), 429);
});

test('without TRUST_PROXY a client cannot pick its own address: X-Forwarded-For is ignored and every guess counts against the socket address', async () => {
  const direct = createApp({ ...rt, config: { ...rt.config, trustProxy: false } });
  const statuses: number[] = [];
  const agent = request.agent(direct);
  const csrf = csrfOf((await agent.get('/app/login')).text);
  for (let i = 0; i <= LOGIN_ATTEMPTS_PER_ADDRESS; i++) {
    // A fresh account and a fresh claimed address each time: only the real address can refuse this.
    const res = await agent.post('/app/login').set('X-Forwarded-For', `10.9.${i}.1`).type('form').send({ _csrf: csrf, email: `spoof-${i}@throttle.example`, password: 'x' });
    statuses.push(res.status);
  }
  assert.equal(statuses.at(-1), 429);
});

test('TRUST_PROXY: off by default; a hop count or a list of proxies; "true" (trust anyone) is refused', () => {
  assert.equal(loadConfig({}).trustProxy, false);
  assert.equal(loadConfig({ TRUST_PROXY: 'false' }).trustProxy, false);
  assert.equal(loadConfig({ TRUST_PROXY: '1' }).trustProxy, 1);
  assert.deepEqual(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy, ['loopback', '10.0.0.0/8']);
  assert.throws(() => loadConfig({ TRUST_PROXY: 'true' }), /TRUST_PROXY/);
  assert.throws(() => loadConfig({ TRUST_PROXY: '0' }), /TRUST_PROXY/);
});
