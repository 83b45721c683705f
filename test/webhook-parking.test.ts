// A delivery the platform signed is acknowledged even when we cannot read it: it is parked with
// the reason, shown per store in the support console (a recorded view), and replayed after a fix
// from the CLI or the console, where each delivery's changes still land once.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import type { Express } from 'express';
import type { Connector } from '../connectors/connector.ts';
import { createApp } from '../src/web/app.ts';
import { createStore } from '../src/stores/create-store.ts';
import { saveInstallation } from '../src/db/repositories/stores.ts';
import { drainWebhooks, PermanentWebhookError } from '../src/jobs/process-webhooks.ts';
import { addStaff } from '../src/accounts/staff.ts';
import type { Store } from '../src/model/store.ts';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { runCli } from './helpers/spawn.ts';
import { signIn } from './helpers/browser-client.ts';
import { ENV, fixture, postDelivery, sign, signedDelivery } from './fixtures/shopify/kit.ts';

const ADMIN = { email: 'lead@support.example', password: 'a-long-admin-password' };
const VIEWER = { email: 'reader@support.example', password: 'a-long-viewer-password' };

describe('signed but unreadable deliveries are parked, shown and replayed', () => {
  let rt: TestRuntime;
  let app: Express;
  let store: Store;
  const q = async <T = Record<string, unknown>>(sql: string, params: unknown[] = []) => (await rt.db.pool.query(sql, params)).rows as T[];
  const send = (topic: string, body: unknown, opts: Parameters<typeof signedDelivery>[2] = {}) => postDelivery(request(app), signedDelivery(topic, body, opts));
  const parked = () => q<{ id: number; topic: string; last_error: string }>("SELECT id::int AS id, topic, last_error FROM webhook_inbox WHERE outcome = 'parked' ORDER BY id");
  const orders = () => q<{ n: number }>("SELECT count(*)::int AS n FROM events WHERE metric = 'Placed Order'").then((r) => r[0]!.n);
  /** The code before the fix: orders/create could not be read. */
  const broken = (): TestRuntime => {
    const real = rt.connectors.shopify!;
    const connector: Connector = {
      ...real,
      normalise: (topic, payload, ctx) => {
        if (topic === 'orders/create') throw new PermanentWebhookError('orders/create: line_items.0.price: expected a number');
        return real.normalise(topic, payload, ctx);
      },
    };
    return { ...rt, connectors: { ...rt.connectors, shopify: connector } };
  };

  before(async () => {
    // Over plain http here: an https APP_URL would make the session cookie Secure.
    rt = await testRuntime({ env: { ...ENV, APP_URL: 'http://127.0.0.1', SUPPORT_BOOTSTRAP_EMAIL: ADMIN.email, SUPPORT_BOOTSTRAP_PASSWORD: ADMIN.password } });
    app = createApp(rt);
    const created = await createStore(rt.db.pool, rt.secrets, { platform: 'shopify', domain: 'storeflow-test.myshopify.com' });
    store = await saveInstallation(rt.db.pool, created.store.id, { accessTokenSealed: rt.secrets.seal('shpat_test'), scopes: [] });
    await request(app).get('/support/login').expect(200);
    await addStaff(rt.db.pool, { email: VIEWER.email, password: VIEWER.password, role: 'viewer' }, ADMIN.email);
  });
  after(async () => rt.dispose());

  test('a wrong shape, a body that is not an object and a body jsonb cannot hold are 2xx and parked with the reason', async () => {
    const shape = await send('products/update', { ...fixture('products-update'), variants: 'none' });
    assert.deepEqual([shape.status, shape.body.status], [200, 'queued']);
    const list = await send('customers/create', [1, 2, 3]);
    assert.deepEqual([list.status, list.body.status], [200, 'queued']);
    const raw = Buffer.from('{"id":1,"title":"a\\u0000b"}');
    const nul = await postDelivery(request(app), { headers: { ...signedDelivery('products/update', {}).headers, 'x-shopify-hmac-sha256': sign(raw) }, rawBody: raw });
    assert.deepEqual([nul.status, nul.body.status], [200, 'parked']);
    await drainWebhooks(rt);
    const rows = await parked();
    assert.deepEqual(rows.map((r) => r.topic), ['products/update', 'customers/create', 'products/update']);
    assert.match(rows[0]!.last_error, /variants/);
    assert.match(rows[1]!.last_error, /payload did not match/);
    assert.match(rows[2]!.last_error, /cannot be stored/);
    const [kept] = await q<{ raw: string }>("SELECT convert_from(raw_body, 'UTF8') AS raw FROM webhook_inbox WHERE id = $1", [rows[2]!.id]);
    assert.equal(kept?.raw, raw.toString(), 'the bytes are kept for a replay');
  });

  test('4xx stays for a bad signature, bytes that are not JSON, and a shop we do not hold, except privacy topics', async () => {
    const before = (await q('SELECT id FROM webhook_inbox')).length;
    assert.equal((await send('products/update', fixture('products-update'), { secret: 'not-the-app-secret' })).status, 401);
    assert.equal((await send('products/update', '{"id": 1, "title": ')).status, 400);
    assert.equal((await send('products/update', fixture('products-update'), { shop: 'someone-else.myshopify.com' })).status, 401);
    for (const topic of ['customers/redact', 'customers/data_request', 'shop/redact']) {
      const res = await send(topic, fixture(topic === 'shop/redact' ? 'shop-redact' : topic === 'customers/redact' ? 'customers-redact' : 'customers-data-request'), { shop: 'someone-else.myshopify.com' });
      assert.deepEqual([res.status, res.body.status], [200, 'nothing-held'], topic);
    }
    assert.equal((await q('SELECT id FROM webhook_inbox')).length, before, 'nothing stored for them');
  });

  test('the CLI replays a parked delivery after the fix: one line, applied once, and a second replay finds nothing', async () => {
    await send('orders/create', fixture('orders-create'), { eventId: 'order-evt-1' });
    await drainWebhooks(broken());
    const [order] = (await parked()).filter((r) => r.topic === 'orders/create');
    assert.ok(order, 'parked by the broken code');
    assert.equal(await orders(), 0);
    const env = { ...ENV, DATABASE_URL: rt.config.databaseUrl!, DATA_DIR: rt.dataDir, ENCRYPTION_KEY: rt.config.encryptionKey!.toString('base64') };

    const usage = await runCli(['deliveries', 'replay', '--store', store.id], env);
    assert.equal(usage.code, 2, 'neither --id nor --all');
    const ok = await runCli(['deliveries', 'replay', '--store', store.id, '--id', String(order.id)], env);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, 'replayed 1 delivery: 1 applied, 0 still parked\n');
    assert.equal(await orders(), 1);
    const again = await runCli(['deliveries', 'replay', '--store', store.id, '--id', String(order.id)], env);
    assert.equal(again.code, 1);
    assert.equal(again.stderr, 'storeflow: no parked delivery matched\n');
    assert.equal(await orders(), 1, 'dedupe holds');
    // A redelivery of the same event after the replay is still a duplicate.
    const redelivered = await send('orders/create', fixture('orders-create'), { eventId: 'order-evt-1' });
    assert.equal(redelivered.body.status, 'duplicate');

    const still = await runCli(['deliveries', 'replay', '--store', store.id, '--all'], env);
    assert.equal(still.code, 1, 'the unreadable ones stay parked');
    assert.match(still.stderr, /^storeflow: replayed 3 deliveries: 0 applied, 3 still parked \(#\d+: .+\)\n$/);
    const [audit] = await q<{ actor: string; kind: string; action: string }>("SELECT actor, kind, action FROM support_audit WHERE action = 'replayed parked deliveries' ORDER BY id LIMIT 1");
    assert.deepEqual(audit, { actor: 'cli', kind: 'change', action: 'replayed parked deliveries' });
  });

  test('the console lists a store’s parked deliveries as a recorded view; only an admin replays, with CSRF, recorded as a change', async () => {
    await send('orders/create', { ...fixture('orders-create'), id: 5123456789099, email: 'parked.shopper@example.com' }, { eventId: 'order-evt-2' });
    await drainWebhooks(broken());
    const [order] = (await parked()).filter((r) => r.topic === 'orders/create');
    assert.ok(order);

    const viewer = await signIn(app, 'support', VIEWER.email, VIEWER.password);
    const page = await viewer.agent.get(`/support/stores/${store.id}/deliveries`).expect(200);
    assert.match(page.text, /parked\.shopper@example\.com/);
    assert.match(page.text, /line_items\.0\.price: expected a number/);
    assert.doesNotMatch(page.text, /deliveries\/replay/, 'no replay control for a viewer');
    const [view] = await q<{ actor: string; kind: string; target: string }>("SELECT actor, kind, target FROM support_audit WHERE action = 'viewed parked deliveries' ORDER BY id DESC LIMIT 1");
    assert.equal(view?.actor, VIEWER.email);
    assert.match(view!.target, new RegExp(`delivery ${order.id}\\b`));
    assert.equal((await viewer.agent.post(`/support/stores/${store.id}/deliveries/replay`).type('form').send({ _csrf: viewer.csrf, id: String(order.id) })).status, 403);

    const admin = await signIn(app, 'support', ADMIN.email, ADMIN.password);
    assert.equal((await admin.agent.post(`/support/stores/${store.id}/deliveries/replay`).type('form').send({ id: String(order.id) })).status, 403, 'no CSRF token');
    assert.equal((await parked()).some((r) => r.id === order.id), true, 'refused requests replay nothing');
    const done = await admin.agent.post(`/support/stores/${store.id}/deliveries/replay`).type('form').send({ _csrf: admin.csrf, id: String(order.id) });
    assert.equal(done.status, 303);
    const shown = await admin.agent.get(done.headers.location!).expect(200);
    assert.match(shown.text, /replayed 1 delivery: 1 applied, 0 still parked/);
    assert.equal((await parked()).some((r) => r.id === order.id), false);
    assert.equal(await orders(), 2);
    const [change] = await q<{ actor: string; kind: string; target: string }>("SELECT actor, kind, target FROM support_audit WHERE action = 'replayed parked deliveries' ORDER BY id DESC LIMIT 1");
    assert.deepEqual(change, { actor: ADMIN.email, kind: 'change', target: `delivery ${order.id}` });
  });
});
