// Support console: the bootstrap admin, staff sign-in, viewer vs admin, the custom-catalog
// trigger checked then enabled, switching back, and every change in the audit log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import type { Express } from 'express';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { csrfOf, signIn } from './helpers/browser-client.ts';
import { createApp } from '../src/web/app.ts';
import { createStore } from '../src/stores/create-store.ts';
import { ingestCatalog } from '../src/ingest/ingest-catalog.ts';
import { ingestEvents } from '../src/ingest/ingest-events.ts';
import { demoCatalog, demoEvents } from '../src/demo/seed-demo.ts';
import { addStaff, allStaff, bootstrapStaff } from '../src/accounts/staff.ts';
import { findStoreById } from '../src/db/repositories/stores.ts';
import { auditTrail } from '../src/support/audit.ts';
import type { Store } from '../src/model/store.ts';

const ADMIN = { email: 'lead@support.example', password: 'a-long-admin-password' };
const VIEWER = { email: 'reader@support.example', password: 'a-long-viewer-password' };

let rt: TestRuntime;
let app: Express;
let store: Store;

const mapping = {
  ordered_metric: 'Ordered Product', ordered_product: 'ProductID', ordered_price: 'Price',
  viewed_on: 'on', viewed_metric: 'Viewed Product', viewed_product: 'ProductID', viewed_price: 'Price',
};

before(async () => {
  rt = await testRuntime({ env: { SUPPORT_BOOTSTRAP_EMAIL: ADMIN.email, SUPPORT_BOOTSTRAP_PASSWORD: ADMIN.password } });
  app = createApp(rt);
  store = (await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: 'custom.example' })).store;
  await ingestCatalog(rt.db.pool, store.id, demoCatalog(), { now: new Date() });
  await ingestEvents(rt.db.pool, store.id, demoEvents(new Date()));
});

after(async () => {
  await rt.dispose();
});

test('the first admin comes from the environment once; passwords are stored as salted scrypt', async () => {
  assert.equal((await request(app).get('/support')).status, 303);
  const staff = await allStaff(rt.db.pool);
  assert.deepEqual(staff.map((s) => [s.email, s.role]), [[ADMIN.email, 'admin']]);
  assert.match(staff[0]!.passwordHash, /^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]{24}\$/);
  assert.ok(!staff[0]!.passwordHash.includes(ADMIN.password));
  assert.equal(await bootstrapStaff(rt.db.pool, { email: 'other@support.example', password: 'another-long-password' }), false);
  await addStaff(rt.db.pool, { email: VIEWER.email, password: VIEWER.password, role: 'viewer' }, ADMIN.email);
});

test('a merchant session does not open the console, and a staff cookie does not open the app', async () => {
  const staff = await signIn(app, 'support', ADMIN.email, ADMIN.password);
  const res = await staff.agent.get('/app');
  assert.equal(res.status, 303);
  assert.equal(res.headers.location, '/app/login');
  const wrong = request.agent(app);
  const page = await wrong.get('/support/login');
  assert.equal((await wrong.post('/support/login').type('form').send({ _csrf: csrfOf(page.text), email: ADMIN.email, password: 'nope' })).status, 401);
});

test('a viewer finds the store and runs the check, but cannot enable, switch back or add staff', async () => {
  const { agent, csrf } = await signIn(app, 'support', VIEWER.email, VIEWER.password);
  const found = await agent.get('/support').query({ q: 'custom.exa' }).expect(200);
  assert.match(found.text, new RegExp(`/support/stores/${store.id}`));
  const byId = await agent.get('/support').query({ q: store.id }).expect(200);
  assert.match(byId.text, /custom\.example/);
  const page = await agent.get(`/support/stores/${store.id}`).expect(200);
  assert.match(page.text, /12 products/);
  const check = await agent.post(`/support/stores/${store.id}/custom-trigger`).type('form').send({ _csrf: csrf, action: 'check', ...mapping });
  assert.equal(check.status, 200);
  assert.match(check.text, /Ordered Product carries the product ID/);
  assert.match(check.text, /Sample event/);
  assert.doesNotMatch(check.text, /value="enable"/, 'no Enable button for a viewer');
  const enable = await agent.post(`/support/stores/${store.id}/custom-trigger`).type('form').send({ _csrf: csrf, action: 'enable', ...mapping });
  assert.equal(enable.status, 403);
  assert.equal((await agent.post(`/support/stores/${store.id}/integration-catalog`).type('form').send({ _csrf: csrf })).status, 403);
  assert.equal((await agent.post('/support/staff').type('form').send({ _csrf: csrf, email: 'x@support.example', password: 'long-enough-password', role: 'admin' })).status, 403);
  assert.equal((await findStoreById(rt.db.pool, store.id))!.customLowInventoryEnabled, false);
  assert.deepEqual((await auditTrail(rt.db.pool, store.id)).filter((e) => e.kind === 'change'), [], 'nothing changed');
});

test('bad mappings are refused inline with what was typed; a mapping that matches nothing cannot be enabled', async () => {
  const { agent, csrf } = await signIn(app, 'support', ADMIN.email, ADMIN.password);
  const bad = await agent.post(`/support/stores/${store.id}/custom-trigger`).type('form').send({ _csrf: csrf, action: 'check', ...mapping, ordered_product: 'has space' });
  assert.equal(bad.status, 422);
  assert.match(bad.text, /id="ordered_product" name="ordered_product" type="text" value="has space" aria-invalid="true"/);
  const none = await agent.post(`/support/stores/${store.id}/custom-trigger`).type('form').send({ _csrf: csrf, action: 'enable', ...mapping, viewed_product: 'NoSuchField' });
  assert.equal(none.status, 422);
  assert.match(none.text, /Not enabled/);
  assert.equal((await findStoreById(rt.db.pool, store.id))!.customLowInventoryEnabled, false);
});

test('an admin enables after the check passes and switches back; both are audited with the admin as actor', async () => {
  const { agent, csrf } = await signIn(app, 'support', ADMIN.email, ADMIN.password);
  const check = await agent.post(`/support/stores/${store.id}/custom-trigger`).type('form').send({ _csrf: csrf, action: 'check', ...mapping });
  assert.match(check.text, /value="enable"/);
  const enable = await agent.post(`/support/stores/${store.id}/custom-trigger`).type('form').send({ _csrf: csrf, action: 'enable', ...mapping });
  assert.equal(enable.status, 303);
  assert.equal((await findStoreById(rt.db.pool, store.id))!.customLowInventoryEnabled, true);
  const back = await agent.post(`/support/stores/${store.id}/integration-catalog`).type('form').send({ _csrf: csrf });
  assert.equal(back.status, 303);
  const after = (await findStoreById(rt.db.pool, store.id))!;
  assert.equal(after.lowInventoryCatalog, 'integration');
  const trail = (await auditTrail(rt.db.pool, store.id)).filter((e) => e.kind === 'change');
  assert.deepEqual(trail.map((e) => [e.actor, e.action]), [
    [ADMIN.email, 'low-inventory trigger switched to the integration catalog'],
    [ADMIN.email, 'custom low-inventory trigger enabled'],
  ]);
  const page = await agent.get(`/support/stores/${store.id}/audit`).expect(200);
  assert.match(page.text, /custom low-inventory trigger enabled/);
  assert.match(page.text, new RegExp(ADMIN.email.replace('.', '\\.')));
  // The log keeps what each check found, never the sample events (a shopper's data).
  const enabled = trail.find((e) => e.action === 'custom low-inventory trigger enabled')!;
  const checks = (enabled.after as { checks: Array<Record<string, unknown>> }).checks;
  assert.ok(checks.length > 0);
  assert.ok(checks.every((c) => !('sample' in c) && !('sampleEventId' in c)), JSON.stringify(checks));
});

test('the check page shows the items the mapping derives from a Started Checkout list, as ingest stores them, and the view is audited', async () => {
  const line = [{ product_id: 'demo-001', price: 12.5 }, { product_id: 'demo-002', price: '3' }];
  await ingestEvents(rt.db.pool, store.id, [{ metric: 'Checkout Started', profile: { email: 'lister@example.com' }, time: new Date(), value: 15.5, properties: { line_items: line }, items: [], uniqueId: 'ui-cs-1' }]);
  const { agent, csrf } = await signIn(app, 'support', VIEWER.email, VIEWER.password);
  const check = await agent.post(`/support/stores/${store.id}/custom-trigger`).type('form').send({
    _csrf: csrf, action: 'check', ...mapping,
    checkout_on: 'on', checkout_metric: 'Checkout Started', checkout_items: '', checkout_product: 'line_items[].product_id', checkout_price: 'line_items[].price',
  });
  assert.equal(check.status, 200, check.text);
  assert.match(check.text, /1 of 1 recent &#34;Checkout Started&#34; events have line_items\[\]\.product_id; 1 name a catalog product/);
  const shown = [...check.text.matchAll(/<td data-field="productId">([^<]*)<\/td><td data-field="variantId">[^<]*<\/td><td class="num" data-field="quantity">(\d+)<\/td><td class="num" data-field="price">([^<]*)<\/td>/g)].map((m) => [m[1], m[3]]);
  assert.ok(shown.some(([id, price]) => id === 'demo-001' && price === '12.5'), JSON.stringify(shown));
  assert.ok(shown.some(([id, price]) => id === 'demo-002' && price === '3'), JSON.stringify(shown));
  const { rows } = await rt.db.pool.query<{ id: string }>("SELECT id::text FROM events WHERE store_id = $1 AND unique_id = 'ui-cs-1'", [store.id]);
  const views = (await auditTrail(rt.db.pool, store.id)).filter((e) => e.kind === 'view' && e.actor === VIEWER.email);
  assert.ok(views.some((e) => (e.target ?? '').split(', ').includes(`event ${rows[0]!.id}`)), JSON.stringify(views));
});

test('signing out ends the session on the server', async () => {
  const { agent, csrf } = await signIn(app, 'support', ADMIN.email, ADMIN.password);
  assert.equal((await agent.post('/support/logout').type('form').send({ _csrf: csrf })).status, 303);
  assert.equal((await agent.get('/support')).status, 303);
});

test('the "Klaviyo format" preset fills the trigger mapping with Klaviyo\'s field names, every event ticked', async () => {
  const { agent } = await signIn(app, 'support', VIEWER.email, VIEWER.password);
  const plain = await agent.get(`/support/stores/${store.id}`).expect(200);
  assert.doesNotMatch(plain.text, /name="checkout_on" value="on" checked/);
  const page = await agent.get(`/support/stores/${store.id}`).query({ preset: 'klaviyo' }).expect(200);
  assert.match(page.text, /name="checkout_on" value="on" checked/);
  assert.match(page.text, /name="cart_on" value="on" checked/);
  assert.match(page.text, /name="checkout_items"[^>]*value="Items"|value="Items"[^>]*name="checkout_items"/);
  assert.match(page.text, /value="ItemPrice"/);
});
