// Server-side request forgery through the flow webhook step: a URL that reaches this machine or
// a private network is refused when the flow is saved (API 422 naming the step, a readable
// message in the builder) and again at call time after DNS, on the address actually connected to.
// No redirect is followed; ports, time and response size are bounded.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import request from 'supertest';
import type { Express } from 'express';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { signIn } from './helpers/browser-client.ts';
import { createApp } from '../src/web/app.ts';
import { createStore } from '../src/stores/create-store.ts';
import { issueMerchantLogin } from '../src/accounts/merchant-accounts.ts';
import { ConfigError, loadConfig } from '../src/config.ts';
import { checkOutboundUrl, STRICT_OUTBOUND, type OutboundRules } from '../src/security/outbound-url.ts';
import { callWebhook } from '../src/flows/outbound-webhook.ts';

const REFUSED = [
  'http://127.0.0.1/hook',
  'http://127.1.2.3/hook',
  'http://localhost/hook',
  'http://[::1]/hook',
  'http://0.0.0.0/hook',
  'http://[::]/hook',
  'http://169.254.169.254/latest/meta-data/',
  'http://10.0.0.5/hook',
  'http://172.16.0.1/hook',
  'http://172.31.255.254/hook',
  'http://192.168.1.1/hook',
  'http://100.64.0.1/hook',
  'http://224.0.0.1/hook',
  'http://[fc00::1]/hook',
  'http://[fd12:3456::1]/hook',
  'http://[fe80::1]/hook',
  'http://[::ffff:127.0.0.1]/hook',
  'http://[::ffff:169.254.169.254]/hook',
  'http://2130706433/hook',
  'http://0177.0.0.1/hook',
  'http://0x7f000001/hook',
  'http://017700000001/hook',
  'http://intranet/hook',
  'http://metadata.google.internal/computeMetadata/v1/',
  'http://printer.local/hook',
  'http://localhost./hook',
  'http://api.localhost/hook',
  'http://router.home.arpa/hook',
  'https://hooks.example.com:8443/hook',
  'http://hooks.example.com:22/hook',
  'https://user:secret@hooks.example.com/hook',
];
const ALLOWED = ['https://hooks.example.com/storeflow', 'http://hooks.example.com/storeflow?token=abc', 'https://93.184.215.14/hook', 'https://[2606:4700::6810:84e5]/hook'];

function webhookFlow(url: string) {
  return {
    name: 'Tell the CRM',
    trigger: { type: 'metric', metric: 'Placed Order' },
    start: 'mail',
    steps: [
      { id: 'mail', type: 'email', subject: 'Thanks', html: '<p>Thanks</p>', next: 'crm' },
      { id: 'crm', type: 'webhook', url },
    ],
  };
}

type Receiver = { server: Server; port: number; hits: string[]; close(): Promise<void> };

async function receiver(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<Receiver> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    hits,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

describe('outbound URL rules', () => {
  test('every private, loopback, link-local, reserved, encoded or internal form is refused, and public hosts pass', () => {
    for (const url of REFUSED) assert.equal(checkOutboundUrl(url, STRICT_OUTBOUND).ok, false, `${url} should be refused`);
    for (const url of ALLOWED) assert.deepEqual(checkOutboundUrl(url, STRICT_OUTBOUND).ok, true, `${url} should pass`);
  });

  test('the loopback setting admits 127.0.0.1, ::1 and localhost only; other private ranges stay refused', () => {
    const loopback: OutboundRules = { allowedPorts: [80, 443], allowPrivate: 'loopback' };
    for (const url of ['http://127.0.0.1/hook', 'http://[::1]/hook', 'http://localhost/hook']) assert.equal(checkOutboundUrl(url, loopback).ok, true, url);
    for (const url of ['http://10.0.0.5/', 'http://169.254.169.254/', 'http://[fe80::1]/', 'http://[::ffff:127.0.0.1]/', 'http://intranet/']) {
      assert.equal(checkOutboundUrl(url, loopback).ok, false, url);
    }
  });

  test('config: OUTBOUND_ALLOWED_PORTS widens 80/443; loopback is refused in production with one line', () => {
    assert.deepEqual(loadConfig({}).outbound, { allowedPorts: [80, 443], allowPrivate: 'none' });
    assert.deepEqual(loadConfig({ OUTBOUND_ALLOWED_PORTS: '8080, 8443' }).outbound.allowedPorts, [80, 443, 8080, 8443]);
    assert.equal(loadConfig({ OUTBOUND_ALLOW_PRIVATE: 'loopback' }).outbound.allowPrivate, 'loopback');
    for (const env of [{ NODE_ENV: 'production', OUTBOUND_ALLOW_PRIVATE: 'loopback', ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64') }, { OUTBOUND_ALLOWED_PORTS: 'http' }, { OUTBOUND_ALLOW_PRIVATE: 'all' }]) {
      assert.throws(() => loadConfig(env), (err: unknown) => err instanceof ConfigError && !err.message.includes('\n') && /OUTBOUND_/.test(err.message), JSON.stringify(env));
    }
  });
});

describe('saving a flow with a webhook step', () => {
  let rt: TestRuntime;
  let app: Express;
  let auth: { Authorization: string };
  const login = { email: 'owner@ssrf.example', password: '' };

  before(async () => {
    rt = await testRuntime();
    app = createApp(rt);
    const created = await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: 'ssrf.example' });
    auth = { Authorization: `Bearer ${created.privateKey}` };
    login.password = (await issueMerchantLogin(rt.db.pool, created.store.id, login.email)).password;
  });
  after(async () => rt.dispose());

  test('POST and PUT /api/v1/flows refuse every internal URL with a 422 problem naming the step', async () => {
    const ok = await request(app).post('/api/v1/flows').set(auth).send(webhookFlow('https://hooks.example.com/storeflow'));
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    const flowId = (ok.body as { id: string }).id;
    for (const url of REFUSED) {
      for (const res of [
        await request(app).post('/api/v1/flows').set(auth).send(webhookFlow(url)),
        await request(app).put(`/api/v1/flows/${flowId}`).set(auth).send(webhookFlow(url)),
      ]) {
        assert.equal(res.status, 422, `${url}: ${res.status} ${JSON.stringify(res.body)}`);
        assert.match(res.headers['content-type'] ?? '', /application\/problem\+json/);
        const errors = (res.body as { errors: Array<{ index: unknown; path: string; message: string }> }).errors;
        const e = errors.find((x) => x.path === 'steps.1.url');
        assert.ok(e, `${url}: ${JSON.stringify(errors)}`);
        assert.match(e.message, /step "crm" URL /);
        assert.ok('index' in e);
      }
    }
    const { rows } = await rt.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM flows');
    assert.equal(rows[0]!.n, 1, 'nothing refused was stored');
  });

  test('the builder shows a readable message on the URL field', async () => {
    const created = await request(app).post('/api/v1/flows').set(auth).send(webhookFlow('https://hooks.example.com/storeflow'));
    const flowId = (created.body as { id: string }).id;
    const { agent, csrf } = await signIn(app, 'app', login.email, login.password);
    const res = await agent.post(`/app/flows/${flowId}/steps/crm`).type('form').send({ _csrf: csrf, id: 'crm', url: 'http://169.254.169.254/latest/meta-data/', next: '' });
    assert.equal(res.status, 422, res.text.slice(0, 300));
    assert.match(res.text, /URL points at 169\.254\.169\.254, a private, loopback or reserved address; a webhook may only call a public host/);
  });
});

describe('at call time', () => {
  let target: Receiver;
  before(async () => {
    target = await receiver((req, res) => {
      if (req.url === '/redirect') {
        res.writeHead(302, { Location: `http://127.0.0.1:${target.port}/landed` }).end();
      } else if (req.url === '/silent') {
        // Never answers: only the caller's timeout ends the call.
      } else if (req.url === '/huge') {
        res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
        const chunk = Buffer.alloc(64 * 1024, 120);
        let sent = 0;
        const pump = () => {
          while (sent < 200 && res.write(chunk)) sent++;
          if (sent >= 200) res.end();
          else res.once('drain', pump);
        };
        res.on('close', () => huge.push(res.writableFinished));
        pump();
      } else {
        req.resume();
        req.on('end', () => res.writeHead(204).end());
      }
    });
  });
  after(async () => target.close());
  const huge: boolean[] = [];

  const rules = (allowPrivate: 'none' | 'loopback'): OutboundRules => ({ allowedPorts: [80, 443, target.port], allowPrivate });
  const call = (url: string, allowPrivate: 'none' | 'loopback', extra: { lookup?: LookupFunction; timeoutMs?: number } = {}) =>
    callWebhook({ url, key: 'k', body: '{}', secrets: ['whsec_test'], rules: rules(allowPrivate), ...extra }, new Date());

  test('a public-looking name that resolves to loopback is refused after DNS, and nothing reaches the address', async () => {
    const lookups: string[] = [];
    const rebinding = ((hostname: string, options: { all?: boolean }, cb: (...args: unknown[]) => void) => {
      lookups.push(hostname);
      if (options.all) cb(null, [{ address: '127.0.0.1', family: 4 }]);
      else cb(null, '127.0.0.1', 4);
    }) as unknown as LookupFunction;
    const before = target.hits.length;
    const refused = await call(`http://hooks.rebind.example:${target.port}/hook`, 'none', { lookup: rebinding });
    assert.equal(refused.ok, false);
    assert.ok(!refused.ok && refused.permanent && /refused: .*127\.0\.0\.1.*not allowed/.test(refused.error), JSON.stringify(refused));
    assert.equal(target.hits.length, before, 'the receiver on loopback was never reached');

    // With loopback allowed the same answer connects, to the address the guard checked, after one lookup.
    lookups.length = 0;
    const allowed = await call(`http://hooks.rebind.example:${target.port}/hook`, 'loopback', { lookup: rebinding });
    assert.deepEqual(allowed, { ok: true, status: 204 });
    assert.deepEqual(lookups, ['hooks.rebind.example'], 'resolved once; the connection used that answer');
    assert.equal(target.hits.length, before + 1);
  });

  test('literal internal addresses and disallowed ports are refused before any connection', async () => {
    const before = target.hits.length;
    for (const url of [`http://127.0.0.1:${target.port}/hook`, `http://2130706433:${target.port}/hook`, `http://[::ffff:127.0.0.1]:${target.port}/hook`, 'http://hooks.example.com:9/hook']) {
      const r = await call(url, 'none');
      assert.ok(!r.ok && r.permanent && r.error.startsWith('refused:'), `${url}: ${JSON.stringify(r)}`);
    }
    assert.equal(target.hits.length, before);
  });

  test('a redirect is not followed and counts as a failure', async () => {
    const r = await call(`http://127.0.0.1:${target.port}/redirect`, 'loopback');
    assert.ok(!r.ok && r.permanent && /redirects are not followed/.test(r.error), JSON.stringify(r));
    assert.ok(!target.hits.includes('/landed'));
  });

  test('a receiver that never answers is cut off at the timeout and may be retried', async () => {
    const r = await call(`http://127.0.0.1:${target.port}/silent`, 'loopback', { timeoutMs: 300 });
    assert.deepEqual(r, { ok: false, error: 'no answer within 300 ms', permanent: false });
  });

  test('an endless answer is read only up to the cap, then the connection is dropped', async () => {
    const r = await call(`http://127.0.0.1:${target.port}/huge`, 'loopback');
    assert.deepEqual(r, { ok: true, status: 200 });
    while (huge.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(huge, [false], 'the receiver could not finish writing its 12.5 MB answer');
  });
});
