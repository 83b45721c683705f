// Our session and CSRF code is kept (docs/security/auth.md says why); these are the cases
// express-session's and csrf-csrf's own suites check, run against it: the id rotates on sign-in,
// a session ends at its expiry and at sign-out, the cookie carries HttpOnly/Secure/SameSite, and
// the CSRF token is bound to its session and compared in constant time (any length, no throw).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import request from 'supertest';
import type { Express } from 'express';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { csrfOf } from './helpers/browser-client.ts';
import { createApp } from '../src/web/app.ts';
import { createStore } from '../src/stores/create-store.ts';
import { issueMerchantLogin } from '../src/accounts/merchant-accounts.ts';

let rt: TestRuntime;
let app: Express;
let httpsApp: Express;
const login = { email: 'owner@sessions.example', password: '' };

before(async () => {
  rt = await testRuntime();
  app = createApp(rt);
  httpsApp = createApp({ ...rt, config: { ...rt.config, appUrl: 'https://storeflow.example.com' } });
  const { store } = await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: 'sessions.example' });
  login.password = (await issueMerchantLogin(rt.db.pool, store.id, login.email)).password;
});

after(async () => {
  await rt.dispose();
});

const cookieOf = (res: request.Response): string | undefined => ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('sf_app='));
const idOf = (setCookie: string): string => setCookie.split(';')[0]!.slice('sf_app='.length);
const rowOf = async (id: string) => (await rt.db.pool.query('SELECT * FROM web_sessions WHERE id_hash = $1', [createHash('sha256').update(id).digest()])).rows[0];

async function signedIn(target: Express = app) {
  const page = await request(target).get('/app/login');
  const anon = cookieOf(page)!;
  const res = await request(target).post('/app/login').set('Cookie', anon.split(';')[0]!).type('form').send({ _csrf: csrfOf(page.text), email: login.email, password: login.password });
  assert.equal(res.status, 303);
  return { anon, cookie: cookieOf(res)! };
}

test('sign-in rotates the session id: the id planted before sign-in is worth nothing after it', async () => {
  const { anon, cookie } = await signedIn();
  assert.notEqual(idOf(cookie), idOf(anon));
  assert.equal(await rowOf(idOf(anon)), undefined, 'the anonymous session is gone');
  assert.equal((await request(app).get('/app').set('Cookie', `sf_app=${idOf(anon)}`)).status, 303);
  assert.equal((await request(app).get('/app').set('Cookie', `sf_app=${idOf(cookie)}`)).status, 200);
  // Only the id's hash is stored, so a read of the table cannot be replayed as a cookie.
  const stored = await rowOf(idOf(cookie));
  assert.ok(stored);
  assert.ok(!JSON.stringify(stored).includes(idOf(cookie)));
});

test('a session past its expiry is not honoured, and sign-out ends it server-side', async () => {
  const { cookie } = await signedIn();
  const id = idOf(cookie);
  await rt.db.pool.query("UPDATE web_sessions SET expires_at = now() - interval '1 second' WHERE id_hash = $1", [createHash('sha256').update(id).digest()]);
  assert.equal((await request(app).get('/app').set('Cookie', `sf_app=${id}`)).status, 303);
  const again = idOf((await signedIn()).cookie);
  const home = await request(app).get('/app').set('Cookie', `sf_app=${again}`);
  const out = await request(app).post('/app/logout').set('Cookie', `sf_app=${again}`).type('form').send({ _csrf: csrfOf(home.text) });
  assert.equal(out.status, 303);
  assert.match(String(out.headers['set-cookie']), /sf_app=;.*Expires=Thu, 01 Jan 1970/);
  assert.equal(await rowOf(again), undefined);
  assert.equal((await request(app).get('/app').set('Cookie', `sf_app=${again}`)).status, 303, 'the old cookie replayed after sign-out is nobody');
});

test('cookie flags: HttpOnly, SameSite=Lax, Path=/app, a Max-Age; Secure when APP_URL is https', async () => {
  const { cookie } = await signedIn();
  for (const flag of [/HttpOnly/, /SameSite=Lax/, /Path=\/app/, /Max-Age=\d+/]) assert.match(cookie, flag);
  const secure = (await signedIn(httpsApp)).cookie;
  for (const flag of [/HttpOnly/, /SameSite=Lax/, /Secure/]) assert.match(secure, flag);
});

test('a malformed or unknown session id is nobody, never an error', async () => {
  for (const id of ['', 'x', 'a'.repeat(500), 'not base64url!!', 'A'.repeat(43)]) {
    assert.equal((await request(app).get('/app').set('Cookie', `sf_app=${id}`)).status, 303, id);
  }
});

test('CSRF: refused when missing, wrong, of another length or from another session; accepted in the form field or the X-CSRF-Token header', async () => {
  const mine = idOf((await signedIn()).cookie);
  const theirs = idOf((await signedIn()).cookie);
  const tokenOf = async (id: string) => csrfOf((await request(app).get('/app').set('Cookie', `sf_app=${id}`)).text);
  const token = await tokenOf(mine);
  const post = (body: Record<string, string>, header?: string) => {
    const r = request(app).post('/app/logout').set('Cookie', `sf_app=${mine}`).type('form');
    return (header ? r.set('X-CSRF-Token', header) : r).send(body);
  };
  const flipped = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
  for (const [name, body] of [
    ['missing', {}],
    ['empty', { _csrf: '' }],
    ['one character changed', { _csrf: flipped }],
    ['shorter', { _csrf: token.slice(1) }],
    ['longer', { _csrf: `${token}x` }],
    ['multi-byte of the same length', { _csrf: 'é'.repeat(token.length) }],
    ['another session’s token', { _csrf: await tokenOf(theirs) }],
  ] as Array<[string, Record<string, string>]>) {
    const res = await post(body);
    assert.equal(res.status, 403, name);
    assert.match(res.text, /expired or did not come from this site/, name);
  }
  assert.ok(await rowOf(mine), 'nothing refused signed the session out');
  assert.equal((await post({}, token)).status, 303, 'the header works as the field does');
  assert.equal(await rowOf(mine), undefined);
});
