// The support audit log: every staff change (added, admin granted or revoked, removed) and every
// page that shows a shopper's data is recorded with who, when, what and which record; only
// admins read the log, it cannot be rewritten, and removing staff ends their sessions at once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import type { Express, Router } from 'express';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { signIn } from './helpers/browser-client.ts';
import { createApp } from '../src/web/app.ts';
import { supportRoutes } from '../src/web/ui/support-routes.ts';
import { createStore } from '../src/stores/create-store.ts';
import { ingestCatalog } from '../src/ingest/ingest-catalog.ts';
import { ingestEvents } from '../src/ingest/ingest-events.ts';
import { ingestProfiles } from '../src/ingest/ingest-profiles.ts';
import { demoCatalog } from '../src/demo/seed-demo.ts';
import { addStaff, allStaff, BOOTSTRAP_ACTOR, removeStaff } from '../src/accounts/staff.ts';
import { auditPage, recordView, type AuditEntry } from '../src/support/audit.ts';
import * as auditRepository from '../src/db/repositories/support-audit.ts';
import { enqueueMessage } from '../src/messaging/outbox.ts';
import { enqueueDeliveries } from '../src/db/repositories/webhook-inbox.ts';
import { emailMessage } from './helpers/messaging-fixtures.ts';
import type { Store } from '../src/model/store.ts';
import type { ProfileId } from '../src/model/ids.ts';

const ADMIN = { email: 'lead@support.example', password: 'a-long-admin-password' };
const VIEWER = { email: 'reader@support.example', password: 'a-long-viewer-password' };
const PASSWORD = 'a-long-staff-password';

// What a shopper's data looks like on a page: none of it may be shown without an audit row.
const SHOPPER = {
  email: 'marker.shopper@example.com', phone: '+14155550177', firstName: 'Zebulon', property: 'marker-secret-note',
  message: 'marker-message-body', parked: 'marker-parked-delivery',
};
const SHOWS_SHOPPER = new RegExp(Object.values(SHOPPER).map((s) => s.replace(/[.+]/g, '\\$&')).join('|'));

const mapping = {
  ordered_metric: 'Ordered Product', ordered_product: 'ProductID', ordered_price: 'Price',
  viewed_on: 'on', viewed_metric: 'Viewed Product', viewed_product: 'ProductID', viewed_price: 'Price',
};

let rt: TestRuntime;
let app: Express;
let store: Store;

const staffId = async (email: string) => (await allStaff(rt.db.pool)).find((s) => s.email === email)?.id;
const everything = async (): Promise<AuditEntry[]> => {
  const out: AuditEntry[] = [];
  for (let beforeId: number | undefined; ; ) {
    const page = await auditPage(rt.db.pool, { beforeId });
    out.push(...page.entries);
    if (page.olderThan === undefined) return out;
    beforeId = page.olderThan;
  }
};
const changesOf = async (target: string) => (await everything()).filter((e) => e.kind === 'change' && e.target === target).reverse();

before(async () => {
  rt = await testRuntime({ env: { SUPPORT_BOOTSTRAP_EMAIL: ADMIN.email, SUPPORT_BOOTSTRAP_PASSWORD: ADMIN.password } });
  app = createApp(rt);
  store = (await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: 'audited.example' })).store;
  const catalog = demoCatalog();
  await ingestCatalog(rt.db.pool, store.id, catalog, { now: new Date() });
  const product = catalog.find((p) => p.inventoryTracking !== 'none')!;
  await ingestProfiles(rt.db.pool, store.id, [{ email: SHOPPER.email, phone: SHOPPER.phone, firstName: SHOPPER.firstName }]);
  const time = new Date(Date.now() - 3_600_000);
  const props = { ProductID: product.externalId, Price: 10, Note: SHOPPER.property, Email: SHOPPER.email };
  await ingestEvents(rt.db.pool, store.id, [
    { metric: 'Viewed Product', profile: { email: SHOPPER.email }, properties: props, value: null, items: [], time, uniqueId: 'viewed-1' },
    { metric: 'Ordered Product', profile: { email: SHOPPER.email }, properties: props, value: null, items: [], time, uniqueId: 'ordered-1' },
  ]);
  // A message to the shopper and a parked webhook delivery about them: the parked-deliveries page
  // shows the delivery, and the page-walking test below fails if any page shows either unrecorded.
  const { rows: [profile] } = await rt.db.pool.query<{ id: ProfileId }>('SELECT id FROM profiles WHERE store_id = $1', [store.id]);
  assert.ok((await enqueueMessage(rt.db.pool, emailMessage(store.id, profile!.id, SHOPPER.email, { subject: SHOPPER.message, text: SHOPPER.message, html: `<p>${SHOPPER.message}</p>` }))).created);
  const [parked] = await enqueueDeliveries(rt.db.pool, 'custom', [{ shop: store.domain, deliveryId: 'parked-1', topic: 'customers/update', payload: { email: SHOPPER.email, note: SHOPPER.parked }, acceptWhileUninstalled: false, parkedReason: 'could not be read' }]);
  assert.equal(parked?.status, 'parked');
  // The first request to the console creates the bootstrap admin.
  await request(app).get('/support/login').expect(200);
  await addStaff(rt.db.pool, { email: VIEWER.email, password: VIEWER.password, role: 'viewer' }, ADMIN.email);
});

after(async () => rt?.dispose());

test('the first admin, created from the environment, is audited as such', async () => {
  const [row] = await changesOf(ADMIN.email);
  assert.equal(row?.actor, BOOTSTRAP_ACTOR);
  assert.equal(row?.action, 'staff added as admin');
});

test('a viewer cannot reach the admin routes: 403, nothing changes, and no admin control is offered', async () => {
  const viewer = await signIn(app, 'support', VIEWER.email, VIEWER.password);
  const adminId = (await staffId(ADMIN.email))!;
  const before = (await everything()).length;
  for (const path of ['/support/audit', `/support/stores/${store.id}/audit`]) {
    const res = await viewer.agent.get(path);
    assert.equal(res.status, 403, path);
    assert.match(res.text, /Your role is viewer: only an admin can do this\./);
  }
  const posts: Array<[string, Record<string, string>]> = [
    ['/support/staff', { email: 'sneaky@support.example', password: PASSWORD, role: 'admin' }],
    [`/support/staff/${adminId}/role`, { role: 'viewer' }],
    [`/support/staff/${(await staffId(VIEWER.email))!}/role`, { role: 'admin' }],
    [`/support/staff/${adminId}/remove`, {}],
  ];
  for (const [path, form] of posts) {
    const res = await viewer.agent.post(path).type('form').send({ _csrf: viewer.csrf, ...form });
    assert.equal(res.status, 403, path);
    assert.match(res.text, /only an admin can do this/);
  }
  assert.deepEqual((await allStaff(rt.db.pool)).map((s) => [s.email, s.role]), [[ADMIN.email, 'admin'], [VIEWER.email, 'viewer']]);
  assert.equal((await everything()).length, before, 'refused requests write nothing');
  const page = await viewer.agent.get('/support/staff').expect(200);
  assert.doesNotMatch(page.text, /\/remove"|\/role"|Add a staff account|href="\/support\/audit"/);
});

test('adding staff, granting and revoking admin and removing staff each write an audit row naming the admin and the target', async () => {
  const admin = await signIn(app, 'support', ADMIN.email, ADMIN.password);
  const email = 'new.hire@support.example';
  assert.equal((await admin.agent.post('/support/staff').type('form').send({ _csrf: admin.csrf, email, password: PASSWORD, role: 'viewer' })).status, 303);
  const id = (await staffId(email))!;
  assert.equal((await admin.agent.post(`/support/staff/${id}/role`).type('form').send({ _csrf: admin.csrf, role: 'admin' })).status, 303);
  assert.equal((await staffId(email)) && (await allStaff(rt.db.pool)).find((s) => s.id === id)!.role, 'admin');
  assert.equal((await admin.agent.post(`/support/staff/${id}/role`).type('form').send({ _csrf: admin.csrf, role: 'viewer' })).status, 303);
  assert.equal((await admin.agent.post(`/support/staff/${id}/remove`).type('form').send({ _csrf: admin.csrf })).status, 303);
  assert.equal(await staffId(email), undefined);

  const rows = await changesOf(email);
  assert.deepEqual(rows.map((r) => [r.actor, r.action, r.target, r.storeId]), [
    [ADMIN.email, 'staff added as viewer', email, null],
    [ADMIN.email, 'admin granted', email, null],
    [ADMIN.email, 'admin revoked', email, null],
    [ADMIN.email, 'staff removed', email, null],
  ]);
  assert.deepEqual([rows[1]!.before, rows[1]!.after], [{ role: 'viewer' }, { role: 'admin' }]);
  assert.ok(rows.every((r) => r.at instanceof Date));
  const log = await admin.agent.get('/support/audit').expect(200);
  assert.match(log.text, /staff removed/);
  assert.match(log.text, /new\.hire@support\.example/);
});

test('a removed staff member’s open session stops working at once; a revoked admin loses admin at once', async () => {
  await addStaff(rt.db.pool, { email: 'leaver@support.example', password: PASSWORD, role: 'viewer' }, ADMIN.email);
  await addStaff(rt.db.pool, { email: 'demoted@support.example', password: PASSWORD, role: 'admin' }, ADMIN.email);
  const leaver = await signIn(app, 'support', 'leaver@support.example', PASSWORD);
  const demoted = await signIn(app, 'support', 'demoted@support.example', PASSWORD);
  await leaver.agent.get(`/support/stores/${store.id}`).expect(200);
  await demoted.agent.get('/support/audit').expect(200);

  const admin = await signIn(app, 'support', ADMIN.email, ADMIN.password);
  const leaverId = (await staffId('leaver@support.example'))!;
  assert.equal((await admin.agent.post(`/support/staff/${leaverId}/remove`).type('form').send({ _csrf: admin.csrf })).status, 303);
  assert.equal((await admin.agent.post(`/support/staff/${(await staffId('demoted@support.example'))!}/role`).type('form').send({ _csrf: admin.csrf, role: 'viewer' })).status, 303);

  const gone = await leaver.agent.get(`/support/stores/${store.id}`);
  assert.equal(gone.status, 303);
  assert.equal(gone.headers.location, '/support/login');
  assert.equal((await leaver.agent.post(`/support/stores/${store.id}/custom-trigger`).type('form').send({ _csrf: leaver.csrf, action: 'check', ...mapping })).status, 403);
  const { rows } = await rt.db.pool.query('SELECT 1 FROM web_sessions WHERE staff_id = $1', [leaverId]);
  assert.equal(rows.length, 0, 'the session rows are gone, not just refused');
  assert.equal((await demoted.agent.get('/support/audit')).status, 403);
});

test('removing yourself or the last admin is refused with a readable message, and nothing is written', async () => {
  const admin = await signIn(app, 'support', ADMIN.email, ADMIN.password);
  const me = (await staffId(ADMIN.email))!;
  assert.deepEqual((await allStaff(rt.db.pool)).filter((s) => s.role === 'admin').map((s) => s.email), [ADMIN.email]);
  const before = (await everything()).length;

  const self = await admin.agent.post(`/support/staff/${me}/remove`).type('form').send({ _csrf: admin.csrf });
  assert.equal(self.status, 409);
  assert.match(self.text, /You cannot remove your own account\. Another admin can\./);
  const last = await admin.agent.post(`/support/staff/${me}/role`).type('form').send({ _csrf: admin.csrf, role: 'viewer' });
  assert.equal(last.status, 409);
  assert.match(last.text, /lead@support\.example is the last admin\. Make someone else an admin first\./);
  assert.equal((await allStaff(rt.db.pool)).find((s) => s.id === me)!.role, 'admin');
  assert.equal((await everything()).length, before);

  // Two admins removing each other at once: one wins, the other is no longer an admin when its
  // turn comes, so the console never ends up without an admin.
  await addStaff(rt.db.pool, { email: 'x@support.example', password: PASSWORD, role: 'admin' }, ADMIN.email);
  await addStaff(rt.db.pool, { email: 'y@support.example', password: PASSWORD, role: 'admin' }, ADMIN.email);
  const [x, y] = [(await staffId('x@support.example'))!, (await staffId('y@support.example'))!];
  const results = await Promise.all([removeStaff(rt.db.pool, x, y), removeStaff(rt.db.pool, y, x)]);
  assert.deepEqual(results.map((r) => r.ok).sort(), [false, true]);
  assert.equal(results.find((r) => !r.ok)!.ok === false && (results.find((r) => !r.ok) as { reason: string }).reason, 'not-admin');
  assert.equal((await allStaff(rt.db.pool)).filter((s) => s.email === 'x@support.example' || s.email === 'y@support.example').length, 1);
});

test('a viewer’s read of a store’s shopper events writes an audit row naming the viewer, the store and the events shown', async () => {
  const viewer = await signIn(app, 'support', VIEWER.email, VIEWER.password);
  const res = await viewer.agent.post(`/support/stores/${store.id}/custom-trigger`).type('form').send({ _csrf: viewer.csrf, action: 'check', ...mapping });
  assert.equal(res.status, 200);
  assert.match(res.text, SHOWS_SHOPPER, 'the check shows a sample event with the shopper’s properties');
  const { rows: events } = await rt.db.pool.query<{ id: string }>('SELECT id::text FROM events WHERE store_id = $1 ORDER BY id', [store.id]);
  const [row] = (await auditPage(rt.db.pool, { storeId: store.id })).entries;
  assert.equal(row?.kind, 'view');
  assert.equal(row?.actor, VIEWER.email);
  assert.equal(row?.storeId, store.id);
  assert.equal(row?.action, 'viewed event properties');
  assert.deepEqual(row?.target?.split(', ').sort(), events.map((e) => `event ${e.id}`).sort());
  assert.doesNotMatch(JSON.stringify(row), SHOWS_SHOPPER, 'the log names the records, not their content');
});

/** Every GET path the support router answers, with its store id filled in. */
function getPaths(router: Router): string[] {
  type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } };
  const walk = (stack: Layer[]): string[] => stack.flatMap((l) => (l.route ? (l.route.methods.get ? [l.route.path] : []) : l.handle?.stack ? walk(l.handle.stack) : []));
  return walk((router as unknown as { stack: Layer[] }).stack);
}

test('every support page that shows a shopper’s data has recorded the view before answering (all GET pages and the check)', async () => {
  const admin = await signIn(app, 'support', ADMIN.email, ADMIN.password);
  const paths = getPaths(supportRoutes(rt));
  assert.ok(paths.length >= 5, paths.join(', '));
  const visits: Array<[string, () => Promise<request.Response>]> = paths.map((p) => {
    const url = `/support${p === '/' ? '' : p}`.replace(/:id\b/g, store.id);
    return [url, () => admin.agent.get(url).query(p === '/' ? { q: store.domain } : {})];
  });
  visits.push(['check', () => admin.agent.post(`/support/stores/${store.id}/custom-trigger`).type('form').send({ _csrf: admin.csrf, action: 'check', ...mapping })]);
  let showing = 0;
  for (const [name, visit] of visits) {
    const views = async () => (await everything()).filter((e) => e.kind === 'view' && e.actor === ADMIN.email && e.storeId === store.id).length;
    const before = await views();
    const res = await visit();
    assert.ok(res.status < 400 || res.status === 404, `${name}: ${res.status}`);
    if (!SHOWS_SHOPPER.test(res.text)) continue;
    showing++;
    assert.ok((await views()) > before, `${name} shows a shopper's data without an audit row`);
  }
  assert.ok(showing >= 2, 'at least the check and the parked deliveries show shopper data, so this test looks at something');
});

test('the audit log page lists entries newest first, a page at a time, for admins', async () => {
  for (let i = 1; i <= 60; i++) await recordView(rt.db.pool, { actor: 'pager@support.example', storeId: store.id, what: 'event properties', records: [`event p${i}`] });
  const admin = await signIn(app, 'support', ADMIN.email, ADMIN.password);
  const seen: string[] = [];
  let url: string | undefined = '/support/audit';
  for (let pages = 0; url; pages++) {
    assert.ok(pages < 10);
    const res: request.Response = await admin.agent.get(url).expect(200);
    const rows = [...res.text.matchAll(/<tr><td>/g)].length;
    assert.ok(rows <= 50, `${rows} rows on one page`);
    seen.push(...[...res.text.matchAll(/event (p\d+)/g)].map((m) => m[1]!));
    url = /<a href="([^"]+)" rel="next">/.exec(res.text)?.[1]?.replace(/&amp;/g, '&');
  }
  assert.deepEqual(seen, Array.from({ length: 60 }, (_, i) => `p${60 - i}`), 'all 60, newest first, none twice');
  const total = (await rt.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM support_audit')).rows[0]!.n;
  assert.equal((await everything()).length, total);
  const storeLog = await admin.agent.get(`/support/stores/${store.id}/audit`).expect(200);
  assert.match(storeLog.text, /event p60/);
  assert.match(storeLog.text, /rel="next"/);
});

test('the audit log is append-only: the app has no update or delete path and the database refuses both', async () => {
  assert.deepEqual(Object.keys(auditRepository).sort(), ['insertAudit', 'listAudit']);
  for (const sql of ["UPDATE support_audit SET actor = 'someone else'", 'DELETE FROM support_audit', 'TRUNCATE support_audit']) {
    await assert.rejects(rt.db.pool.query(sql), /support_audit is append-only/, sql);
  }
  assert.ok((await everything()).length > 60);
});
