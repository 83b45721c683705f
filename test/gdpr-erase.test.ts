// GDPR erase leaves no trace of the person anywhere: after customers/redact (and shop/redact),
// every row of every table in the database, cast to text, is searched for the shopper's email,
// phone and customer id. Tables are read from information_schema, so a table added later that
// keeps personal data fails this test until the erase handles it. Exports of data requests are
// downloadable by the merchant (app and API) for their retention window, then expire.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../src/web/app.ts';
import { createStore, type CreatedStore } from '../src/stores/create-store.ts';
import { saveInstallation } from '../src/db/repositories/stores.ts';
import { drainWebhooks } from '../src/jobs/process-webhooks.ts';
import { runTickJob, runTriggerJob } from '../src/jobs/flow-jobs.ts';
import { createMessageDelivery } from '../src/jobs/deliver-messages.ts';
import { expireExports } from '../src/merchant/personal-data-exports.ts';
import { issueMerchantLogin } from '../src/accounts/merchant-accounts.ts';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { signIn } from './helpers/browser-client.ts';
import { ENV, fixture, postDelivery, signedDelivery } from './fixtures/shopify/kit.ts';

const SHOPPER = { id: 7123456789012, email: 'ada.erased@example.com', phone: '+16135550142' };
const OTHER = { id: 7123456789077, email: 'bea.kept@example.com', phone: '+16135550177' };
const customer = (who: typeof SHOPPER) => ({ ...fixture('customers-create'), id: who.id, email: who.email, phone: who.phone, admin_graphql_api_id: `gid://shopify/Customer/${who.id}` });
const order = (who: typeof SHOPPER, id: number) => ({
  ...fixture('orders-create'), id, email: who.email, phone: who.phone, admin_graphql_api_id: `gid://shopify/Order/${id}`,
  // Placed now: a flow created today does not take in older (backfilled) orders.
  created_at: new Date().toISOString(), processed_at: new Date().toISOString(),
  customer: { ...(fixture('orders-create').customer as object), id: who.id, email: who.email, phone: who.phone, admin_graphql_api_id: `gid://shopify/Customer/${who.id}` },
});
const privacy = (who: typeof SHOPPER, extra: object) => ({ shop_id: 548380009, shop_domain: 'storeflow-test.myshopify.com', customer: { id: who.id, email: who.email, phone: who.phone }, ...extra });

describe('GDPR: erase everywhere, and exports the merchant can download', () => {
  let rt: TestRuntime;
  let app: Express;
  let created: CreatedStore;
  const q = async <T = Record<string, unknown>>(sql: string, params: unknown[] = []) => (await rt.db.pool.query(sql, params)).rows as T[];
  const send = (topic: string, body: unknown, opts: Parameters<typeof signedDelivery>[2] = {}) => postDelivery(request(app), signedDelivery(topic, body, opts));
  const api = (path: string) => request(app).get(`/api/v1${path}`).set('Authorization', `Bearer ${created.privateKey}`);

  /** Every table and column of the app's schema where a row, cast to text, contains the needle. */
  async function foundIn(needles: string[]): Promise<string[]> {
    const tables = await q<{ schema: string; name: string }>(
      `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
       WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2`,
    );
    assert.ok(tables.length > 20, `the schema was read: ${tables.map((t) => t.name).join(', ')}`);
    const hits: string[] = [];
    for (const t of tables) {
      const ident = `"${t.schema.replace(/"/g, '""')}"."${t.name.replace(/"/g, '""')}"`;
      for (const needle of needles) {
        // bytea columns cast to text as hex: compare the escape encoding of the row too.
        const rows = await q<{ row: string }>(`SELECT x::text AS row FROM ${ident} x WHERE strpos(lower(x::text), lower($1)) > 0 LIMIT 3`, [needle]);
        for (const r of rows) hits.push(`${t.name}: ${needle} in ${r.row.slice(0, 300)}`);
      }
    }
    return hits;
  }

  before(async () => {
    rt = await testRuntime({ env: { ...ENV, APP_URL: 'http://127.0.0.1' } });
    app = createApp(rt);
    created = await createStore(rt.db.pool, rt.secrets, { platform: 'shopify', domain: 'storeflow-test.myshopify.com' });
    await saveInstallation(rt.db.pool, created.store.id, { accessTokenSealed: rt.secrets.seal('shpat_test'), scopes: [] });
    // A live flow that emails, calls a webhook and remembers the trigger event, for each order.
    const flow = await request(app).post('/api/v1/flows').set('Authorization', `Bearer ${created.privateKey}`).send({
      name: 'Thanks', status: 'live', trigger: { type: 'metric', metric: 'Placed Order' }, smartSending: { enabled: false }, start: 'mail',
      steps: [
        { id: 'mail', type: 'email', subject: 'Thanks {{ profile.email }}', html: '<p>Hi {{ profile.email }} ({{ profile.phone }}), order {{ event.properties.OrderId }}</p>', next: 'hook' },
        { id: 'hook', type: 'webhook', url: 'https://hooks.example.com/orders', next: 'later' },
        { id: 'later', type: 'delay', duration: 'P1D', next: 'again' },
        { id: 'again', type: 'email', subject: 'Again', html: '<p>{{ profile.email }}</p>' },
      ],
    });
    assert.equal(flow.status, 201, flow.text);
  });
  after(async () => rt.dispose());

  test('customers/redact: the email, phone and customer id are in no row of any table, and the messages API shows none', async () => {
    for (const who of [SHOPPER, OTHER]) {
      assert.equal((await send('customers/create', customer(who))).status, 200);
      assert.equal((await send('orders/create', order(who, who.id + 1000))).status, 200);
    }
    // A delivery about the shopper that could not be read, parked.
    assert.equal((await send('customers/update', { ...customer(SHOPPER), addresses: 'not a list', email_marketing_consent: 7 })).status, 200);
    assert.equal((await send('customers/data_request', privacy(SHOPPER, { data_request: { id: 9001 }, orders_requested: [] }))).status, 200);
    await drainWebhooks(rt);
    await runTriggerJob(rt);
    await runTickJob(rt);
    const delivery = createMessageDelivery(rt);
    await delivery.run({ budgetMs: 5_000 });
    delivery.close();
    await runTickJob(rt);

    // Everything the test is about exists before the erase.
    const before = await foundIn([SHOPPER.email]);
    for (const table of ['profiles', 'messages', 'outbound_calls', 'webhook_inbox', 'personal_data_exports']) {
      assert.ok(before.some((h) => h.startsWith(`${table}:`)), `${table} holds the email before the erase:\n${before.join('\n')}`);
    }
    const [{ id: profileId }] = await q<{ id: string }>('SELECT id FROM profiles WHERE email = $1', [SHOPPER.email]) as [{ id: string }];
    const ofShopper = async () => ({
      events: (await q('SELECT 1 FROM events WHERE profile_id = $1', [profileId])).length,
      items: (await q('SELECT 1 FROM event_items i JOIN events e ON e.store_id = i.store_id AND e.id = i.event_id WHERE e.profile_id = $1', [profileId])).length,
      runsWithData: (await q("SELECT 1 FROM flow_runs WHERE profile_id = $1 AND (trigger_event IS NOT NULL OR context <> '{}')", [profileId])).length,
    });
    const held = await ofShopper();
    assert.ok(held.events > 0 && held.items > 0 && held.runsWithData > 0, JSON.stringify(held));
    assert.ok((await q("SELECT 1 FROM webhook_inbox WHERE outcome = 'parked'")).length > 0, 'a parked delivery names the shopper');
    const listed = await api('/messages').expect(200);
    assert.match(JSON.stringify(listed.body), new RegExp(SHOPPER.email.replace(/\./g, '\\.')));

    assert.equal((await send('customers/redact', privacy(SHOPPER, { orders_to_redact: [SHOPPER.id + 1000] }))).status, 200);
    await drainWebhooks(rt);

    assert.deepEqual(await foundIn([SHOPPER.email, SHOPPER.phone, String(SHOPPER.id)]), []);
    assert.deepEqual(await ofShopper(), { events: 0, items: 0, runsWithData: 0 });
    const after = await api('/messages').expect(200);
    assert.doesNotMatch(JSON.stringify(after.body), /ada\.erased/);
    // The other shopper is untouched.
    const kept = await foundIn([OTHER.email]);
    for (const table of ['profiles', 'messages', 'outbound_calls']) assert.ok(kept.some((h) => h.startsWith(`${table}:`)), `${table} still holds the other shopper`);
    // No message goes out to the erased person later, and their runs are over.
    const pending = await q("SELECT status FROM messages m JOIN profiles p ON p.store_id = m.store_id AND p.id = m.profile_id WHERE p.email IS NULL AND m.status IN ('queued', 'held')");
    assert.deepEqual(pending, []);
  });

  test('the export of a data request is downloadable through the API and in the app, until its retention ends', async () => {
    await send('customers/data_request', privacy(OTHER, { data_request: { id: 9002 }, orders_requested: [] }));
    await drainWebhooks(rt);
    const list = await api('/personal-data-exports').expect(200);
    assert.equal(list.body.retentionDays, 30);
    const [summary] = list.body.data as Array<{ id: string; requestedAt: string; expiresAt: string; profiles: number; events: number }>;
    assert.equal(summary?.id, 'shopify:9002');
    assert.equal(summary?.profiles, 1);
    assert.equal(Date.parse(summary!.expiresAt) - Date.parse(summary!.requestedAt), 30 * 24 * 3600_000);
    const doc = await api(`/personal-data-exports/${encodeURIComponent(summary!.id)}`).expect(200);
    assert.equal(doc.body.profiles[0].email, OTHER.email);
    assert.equal(doc.body.profiles[0].externalId, String(OTHER.id), 'camelCase, the id exact');
    assert.ok(doc.body.events.some((e: { metric: string }) => e.metric === 'Placed Order'));
    assert.equal((await api('/personal-data-exports/shopify:9001').expect(404)).body.status, 404, 'the erased shopper’s export went with the erase');

    await issueMerchantLogin(rt.db.pool, created.store.id, 'owner@example.com').then(async ({ password }) => {
      // Shopify stores normally arrive from the admin; a password sign-in reaches the same pages.
      const merchant = await signIn(app, 'app', 'owner@example.com', password);
      const page = await merchant.agent.get('/app/privacy').expect(200);
      assert.match(page.text, /shopify:9002/);
      const download = await merchant.agent.get('/app/privacy/exports/shopify%3A9002').expect(200);
      assert.match(String(download.headers['content-disposition']), /attachment; filename="?personal-data-shopify_9002\.json"?/);
      assert.equal(JSON.parse(download.text).profiles[0].email, OTHER.email);
    });

    // Past the window: neither listed nor served, and the hourly job deletes it.
    const later = new Date(Date.now() + 31 * 24 * 3600_000);
    assert.equal(await expireExports(rt.db.pool, 30, later), 1);
    assert.deepEqual((await api('/personal-data-exports').expect(200)).body.data, []);
    await api('/personal-data-exports/shopify:9002').expect(404);
  });

  test('shop/redact erases every shopper of the store', async () => {
    await send('shop/redact', { shop_id: 548380009, shop_domain: 'storeflow-test.myshopify.com' });
    await drainWebhooks(rt);
    assert.deepEqual(await foundIn([OTHER.email, OTHER.phone, String(OTHER.id)]), []);
  });
});
