// The flow engine end to end on real Postgres, driven by an injected clock: no test sleeps.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { createStore } from '../src/stores/create-store.ts';
import { createApp } from '../src/web/app.ts';
import { ingestEvents } from '../src/ingest/ingest-events.ts';
import { ingestProfiles } from '../src/ingest/ingest-profiles.ts';
import { ingestCatalog } from '../src/ingest/ingest-catalog.ts';
import { processTriggerQueue, runDateTriggers } from '../src/flows/enter-flows.ts';
import { runFlowTick } from '../src/flows/tick.ts';
import { runTriggerJob, runSegmentJob } from '../src/jobs/flow-jobs.ts';
import type { EventInput } from '../src/model/event.ts';
import type { ExternalProductId, StoreId } from '../src/model/ids.ts';
import { markUninstalled, saveInstallation } from '../src/db/repositories/stores.ts';

const HOUR = 3_600_000;

describe('flow engine', () => {
  let rt: TestRuntime;
  let app: ReturnType<typeof createApp>;
  let auth: { Authorization: string };
  let storeId: StoreId;
  const T0 = new Date(Math.floor(Date.now() / 60_000) * 60_000);
  const at = (ms: number) => new Date(T0.getTime() + ms);
  const tick = (now: Date) => runFlowTick({ pool: rt.db.pool, config: rt.config, secrets: rt.secrets, logger: rt.logger }, { now });
  const triggers = (now: Date) => processTriggerQueue(rt.db.pool, { now });
  const event = (email: string, metric: string, uniqueId: string, extra: Partial<EventInput> = {}): EventInput => ({
    metric,
    profile: { email },
    time: T0,
    value: null,
    properties: {},
    items: [],
    uniqueId,
    ...extra,
  });
  const messagesFor = async (flowId: string) =>
    (await rt.db.pool.query<{ status: string; reason: string | null; recipient: string; subject: string | null; html: string | null; body_text: string | null; dedupe_key: string }>(
      'SELECT status, reason, recipient, subject, html, body_text, dedupe_key FROM messages WHERE flow_id = $1 ORDER BY created_at, dedupe_key',
      [flowId],
    )).rows;
  const createFlowApi = async (body: object) => {
    const res = await request(app).post('/api/v1/flows').set(auth).send(body);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body as { id: string; warnings: string[]; version: number };
  };

  before(async () => {
    rt = await testRuntime();
    const created = await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: 'flows.example.com' });
    storeId = created.store.id;
    auth = { Authorization: `Bearer ${created.privateKey}` };
    app = createApp(rt);
    await ingestCatalog(rt.db.pool, storeId, [
      { externalId: 'p1' as ExternalProductId, title: 'Linen Shirt', url: 'https://flows.example.com/p1', imageUrl: null, price: 59, inventoryTracking: 'product', inventoryQuantity: 10, variants: [] },
    ]);
    await ingestProfiles(rt.db.pool, storeId, [
      { email: 'ada@example.com', firstName: 'Ada', consent: { email: 'subscribed' } },
      { email: 'ben@example.com', firstName: 'Ben', consent: { email: 'subscribed' } },
      { email: 'unsub@example.com', consent: { email: 'unsubscribed' } },
      { email: 'sms@example.com', phone: '+14155550100', timezone: 'America/New_York', consent: { sms: 'subscribed' } },
    ]);
  });
  after(async () => rt.dispose());

  test('abandoned checkout: enters once per event, waits 4 h, emails with the items, and skips buyers', async () => {
    const flow = await createFlowApi({ preset: 'abandoned-checkout', status: 'live' });
    const checkout = (email: string, id: string) =>
      event(email, 'Started Checkout', id, {
        properties: { CheckoutURL: `https://flows.example.com/checkout/${id}`, Items: [{ ProductID: 'p1', Quantity: 2, ItemPrice: 59 }] },
        items: [{ productExternalId: 'p1' as ExternalProductId, variantExternalId: null, quantity: 2, price: 59 }],
      });
    await ingestEvents(rt.db.pool, storeId, [checkout('ada@example.com', 'chk-ada'), checkout('ben@example.com', 'chk-ben')]);
    // The same events again (a retried call): no second entry.
    await ingestEvents(rt.db.pool, storeId, [checkout('ada@example.com', 'chk-ada')]);
    const entered = await triggers(at(1000));
    assert.equal(entered.entered, 2);

    await tick(at(2000));
    assert.equal((await messagesFor(flow.id)).length, 0, 'nothing before the delay');
    // Ben orders meanwhile: the split sends him nothing.
    await ingestEvents(rt.db.pool, storeId, [event('ben@example.com', 'Placed Order', 'order-ben', { time: at(HOUR), value: 118 })]);
    await triggers(at(HOUR));
    const early = await tick(at(3 * HOUR));
    assert.equal(early.claimed, 0, 'runs sleep until the delay ends');
    await tick(at(4 * HOUR + 5000));
    const msgs = await messagesFor(flow.id);
    assert.equal(msgs.length, 1);
    assert.equal(msgs[0]!.recipient, 'ada@example.com');
    assert.equal(msgs[0]!.status, 'queued');
    assert.match(msgs[0]!.html!, /Linen Shirt/);
    assert.match(msgs[0]!.html!, /checkout\/chk-ada/);
    assert.match(msgs[0]!.html!, /\/u\//, 'a signed unsubscribe link');

    // A replayed tick (a crashed worker's batch) finds nothing due and sends nothing more.
    await tick(at(5 * HOUR));
    assert.equal((await messagesFor(flow.id)).length, 1);
    const report = (await request(app).get(`/api/v1/flows/${flow.id}/report`).set(auth)).body;
    assert.equal(report.entered, 2);
    assert.equal(report.runs.completed ?? 0, 1);
    assert.equal(report.runs.exited ?? 0, 1);
    assert.equal(report.pending.queued, 1);
  });

  test('consent, smart sending and manual review decide each message, with reasons', async () => {
    const flow = await createFlowApi({
      name: 'Manual review',
      status: 'manual',
      trigger: { type: 'metric', metric: 'Asked For Help' },
      start: 'mail',
      steps: [{ id: 'mail', type: 'email', subject: 'Hi {{ profile.firstName }}', html: '<p>Hello</p>' }],
      smartSending: { enabled: true, windowHours: 16, mode: 'skip' },
    });
    await ingestEvents(rt.db.pool, storeId, [
      event('unsub@example.com', 'Asked For Help', 'help-1'),
      event('ben@example.com', 'Asked For Help', 'help-2'),
      event('new@example.com', 'Asked For Help', 'help-3'),
    ]);
    await triggers(at(1000));
    await tick(at(2000));
    const msgs = await messagesFor(flow.id);
    const by = Object.fromEntries(msgs.map((m) => [m.recipient, m]));
    assert.equal(by['unsub@example.com']!.status, 'skipped');
    assert.equal(by['unsub@example.com']!.reason, 'no consent');
    assert.equal(by['new@example.com']!.status, 'held', 'never-subscribed may get email; manual holds it');
    assert.equal(by['ben@example.com']!.status, 'held');

    const live = await request(app).patch(`/api/v1/flows/${flow.id}`).set(auth).send({ status: 'live' });
    assert.equal(live.status, 200);
    assert.equal(live.body.releasedMessages, 2);
    assert.deepEqual((await messagesFor(flow.id)).filter((m) => m.status === 'queued').map((m) => m.recipient).sort(), ['ben@example.com', 'new@example.com']);

    // Ben was messaged moments ago: another flow's message to him is skipped by smart sending.
    const second = await createFlowApi({ name: 'Second', status: 'live', trigger: { type: 'metric', metric: 'Asked Again' }, start: 'm', steps: [{ id: 'm', type: 'email', subject: 's', html: 'h' }] });
    await ingestEvents(rt.db.pool, storeId, [event('ben@example.com', 'Asked Again', 'again-1')]);
    await triggers(at(3000));
    await tick(at(4000));
    const skipped = await messagesFor(second.id);
    assert.equal(skipped[0]!.status, 'skipped');
    assert.equal(skipped[0]!.reason, 'smart sending');
  });

  test('draft parks runs where they are and turning live resumes them', async () => {
    const flow = await createFlowApi({
      name: 'Parked',
      status: 'live',
      trigger: { type: 'metric', metric: 'Parked Metric' },
      smartSending: { enabled: false },
      start: 'd',
      steps: [
        { id: 'd', type: 'delay', duration: 'PT1H', next: 'm' },
        { id: 'm', type: 'email', subject: 's', html: 'h' },
      ],
    });
    await ingestEvents(rt.db.pool, storeId, [event('ada@example.com', 'Parked Metric', 'park-1')]);
    await triggers(at(1000));
    await tick(at(2000));
    const draft = await request(app).patch(`/api/v1/flows/${flow.id}`).set(auth).send({ status: 'draft' });
    assert.equal(draft.body.pausedRuns, 1);
    assert.equal((await tick(at(2 * HOUR))).claimed, 0, 'paused runs do not advance');
    assert.equal((await request(app).get(`/api/v1/flows/${flow.id}/report`).set(auth)).body.runs.paused, 1);
    const back = await request(app).patch(`/api/v1/flows/${flow.id}`).set(auth).send({ status: 'live' });
    assert.equal(back.body.resumedRuns, 1);
    await tick(at(2 * HOUR));
    assert.equal((await messagesFor(flow.id)).length, 1);
  });

  test('wait-for wakes on the event, else times out; versions stay with their runs', async () => {
    const v1 = {
      name: 'Wait',
      status: 'live',
      trigger: { type: 'metric', metric: 'Wait Start' },
      smartSending: { enabled: false },
      start: 'w',
      steps: [
        { id: 'w', type: 'wait-for', metric: 'Wait Order', timeout: 'P3D', onEvent: 'thanks', onTimeout: 'nudge' },
        { id: 'thanks', type: 'email', subject: 'thanks v1', html: 'h' },
        { id: 'nudge', type: 'email', subject: 'nudge v1', html: 'h' },
      ],
    };
    const flow = await createFlowApi(v1);
    await ingestEvents(rt.db.pool, storeId, [event('ada@example.com', 'Wait Start', 'wait-ada'), event('ben@example.com', 'Wait Start', 'wait-ben')]);
    await triggers(at(1000));
    await tick(at(2000));
    // A new version while both wait: the runs keep version 1's subjects.
    const put = await request(app).put(`/api/v1/flows/${flow.id}`).set(auth).send({ ...v1, steps: v1.steps.map((s) => (s.type === 'email' ? { ...s, subject: String(s.subject).replace('v1', 'v2') } : s)) });
    assert.equal(put.status, 200);
    assert.equal(put.body.version, 2);
    await ingestEvents(rt.db.pool, storeId, [event('ada@example.com', 'Wait Order', 'wait-order', { time: at(HOUR), value: 10 })]);
    const woke = await triggers(at(HOUR));
    assert.equal(woke.woken, 1);
    await tick(at(HOUR + 1000));
    await tick(at(3 * 24 * HOUR + 5000));
    const subjects = Object.fromEntries((await messagesFor(flow.id)).map((m) => [m.recipient, m.subject]));
    assert.deepEqual(subjects, { 'ada@example.com': 'thanks v1', 'ben@example.com': 'nudge v1' });
  });

  test('A/B split is stable per run and reported per branch; update-profile and trigger split act', async () => {
    const flow = await createFlowApi({
      name: 'AB',
      status: 'live',
      trigger: { type: 'metric', metric: 'AB Start' },
      smartSending: { enabled: false },
      start: 'ts',
      steps: [
        { id: 'ts', type: 'trigger-split', where: [{ path: 'event.properties.vip', op: 'eq', value: true }], yes: 'tag', no: 'ab' },
        { id: 'tag', type: 'update-profile', set: { vipSeen: true }, next: 'ab' },
        { id: 'ab', type: 'ab', branches: [{ weight: 50, next: 'a' }, { weight: 50, next: 'b' }] },
        { id: 'a', type: 'email', subject: 'A', html: 'a' },
        { id: 'b', type: 'email', subject: 'B', html: 'b' },
      ],
    });
    const emails = Array.from({ length: 40 }, (_, i) => `ab${i}@example.com`);
    await ingestEvents(rt.db.pool, storeId, emails.map((e, i) => event(e, 'AB Start', `ab-${i}`, { properties: { vip: i === 0 } })));
    await triggers(at(1000));
    await tick(at(2000));
    const report = (await request(app).get(`/api/v1/flows/${flow.id}/report`).set(auth)).body;
    assert.equal(report.branches.length, 2);
    const [a, b] = report.branches;
    assert.equal(a.entered + b.entered, 40);
    assert.ok(a.entered > 5 && b.entered > 5, `both branches used: ${a.entered}/${b.entered}`);
    assert.equal(a.sent + b.sent, 0, 'queued, not yet delivered');
    const { rows } = await rt.db.pool.query<{ properties: Record<string, unknown> }>("SELECT properties FROM profiles WHERE email = 'ab0@example.com'");
    assert.equal(rows[0]!.properties.vipSeen, true);
  });

  test('two ticks racing over the same due runs make each message once', async () => {
    const flow = await createFlowApi({ name: 'Race', status: 'live', trigger: { type: 'metric', metric: 'Race' }, smartSending: { enabled: false }, start: 'm', steps: [{ id: 'm', type: 'email', subject: 's', html: 'h' }] });
    const emails = Array.from({ length: 300 }, (_, i) => `race${i}@example.com`);
    await ingestEvents(rt.db.pool, storeId, emails.map((e, i) => event(e, 'Race', `race-${i}`)));
    await triggers(at(1000));
    await Promise.all([tick(at(2000)), tick(at(2000)), tick(at(2000))]);
    await tick(at(3000));
    const msgs = await messagesFor(flow.id);
    assert.equal(msgs.length, 300);
    assert.equal(new Set(msgs.map((m) => m.dedupe_key)).size, 300);
  });

  test('SMS waits for quiet hours to end in the profile timezone', async () => {
    const flow = await createFlowApi({ name: 'Sms', status: 'live', trigger: { type: 'metric', metric: 'Sms Start' }, smartSending: { enabled: false }, start: 's', steps: [{ id: 's', type: 'sms', text: 'Hi from {{ store.domain }}' }] });
    // 03:00 in New York (08:00 UTC in winter): quiet until 09:00 local.
    const night = new Date('2026-12-01T08:00:00Z');
    await ingestEvents(rt.db.pool, storeId, [event('sms@example.com', 'Sms Start', 'sms-1', { time: night })]);
    await triggers(night);
    await tick(night);
    assert.equal((await messagesFor(flow.id)).length, 0);
    await tick(new Date('2026-12-01T14:00:30Z'));
    const msgs = await messagesFor(flow.id);
    assert.equal(msgs.length, 1);
    assert.equal(msgs[0]!.recipient, '+14155550100');
  });

  test('list and date triggers enter once', async () => {
    const welcome = await createFlowApi({ preset: 'welcome', status: 'live' });
    await ingestProfiles(rt.db.pool, storeId, [{ email: 'joiner@example.com', lists: ['Newsletter'] }]);
    await ingestProfiles(rt.db.pool, storeId, [{ email: 'joiner@example.com', lists: ['Newsletter'] }]);
    assert.equal((await triggers(at(1000))).entered, 1);
    await tick(at(2000));
    assert.equal((await messagesFor(welcome.id)).length, 1);

    const birthday = await createFlowApi({ preset: 'birthday', status: 'live' });
    const today = new Date();
    const bday = `1990-${String(today.getUTCMonth() + 1).padStart(2, '0')}-${String(today.getUTCDate()).padStart(2, '0')}`;
    await ingestProfiles(rt.db.pool, storeId, [{ email: 'bday@example.com', timezone: 'UTC', properties: { birthday: bday }, consent: { email: 'subscribed' } }]);
    const startOfDay = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate(), 8, 0));
    assert.equal(await runDateTriggers(rt.db.pool, { now: startOfDay }), 1);
    assert.equal(await runDateTriggers(rt.db.pool, { now: new Date(startOfDay.getTime() + 600_000) }), 0, 'once a year');
    await tick(new Date(startOfDay.getTime() + HOUR + 1000));
    assert.equal((await messagesFor(birthday.id)).length, 1);
  });

  test('segment entry: scheduled and event-driven evaluation enter new members once', async () => {
    const seg = await request(app).post('/api/v1/segments').set(auth).send({
      name: 'Engaged VIPs',
      conditions: [
        { path: 'profile.properties.vip', op: 'eq', value: true },
        { metric: 'Viewed Product', within: 'P7D', atLeast: 2 },
      ],
    });
    assert.equal(seg.status, 201, JSON.stringify(seg.body));
    assert.equal(seg.body.members, 0);
    const bad = await request(app).post('/api/v1/segments').set(auth).send({ name: 'Bad\u0000name', conditions: [{ path: 'event.x', op: 'eq', value: 1 }] });
    assert.equal(bad.status, 422);
    assert.ok(bad.body.errors.length >= 1);
    const flow = await createFlowApi({ name: 'VIP', status: 'live', trigger: { type: 'segment', segmentId: seg.body.id }, smartSending: { enabled: false }, start: 'm', steps: [{ id: 'm', type: 'email', subject: 'VIP', html: 'h' }] });
    await ingestProfiles(rt.db.pool, storeId, [{ email: 'vip@example.com', properties: { vip: true } }, { email: 'notvip@example.com', properties: { vip: false } }]);
    const views = (email: string, n: number) => Array.from({ length: n }, (_, i) => event(email, 'Viewed Product', `seg-${email}-${i}`, { time: new Date(Date.now() - 1000) }));
    await ingestEvents(rt.db.pool, storeId, [...views('vip@example.com', 2), ...views('notvip@example.com', 3)]);
    const clock = () => new Date();
    await runTriggerJob(rt, clock);
    assert.equal((await request(app).get(`/api/v1/segments/${seg.body.id}`).set(auth)).body.members, 1);
    await runSegmentJob(rt, clock);
    await tick(new Date(Date.now() + 1000));
    const msgs = await messagesFor(flow.id);
    assert.deepEqual(msgs.map((m) => m.recipient), ['vip@example.com'], 'entered once, though evaluated twice');
    const unknown = await request(app).post('/api/v1/flows').set(auth).send({ name: 'x', trigger: { type: 'segment', segmentId: '00000000-0000-4000-8000-000000000000' }, start: 'm', steps: [{ id: 'm', type: 'exit' }] });
    assert.equal(unknown.status, 422);
  });

  test('an uninstalled store pauses its runs and a reinstall resumes them', async () => {
    const created = await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: 'uninstalled.example.com' });
    const otherAuth = { Authorization: `Bearer ${created.privateKey}` };
    const res = await request(app).post('/api/v1/flows').set(otherAuth).send({ name: 'U', status: 'live', trigger: { type: 'metric', metric: 'U Start' }, smartSending: { enabled: false }, start: 'm', steps: [{ id: 'm', type: 'email', subject: 's', html: 'h' }] });
    assert.equal(res.status, 201);
    await ingestEvents(rt.db.pool, created.store.id, [event('u@example.com', 'U Start', 'u-1')]);
    await triggers(at(1000));
    await markUninstalled(rt.db.pool, created.store.id);
    await tick(at(2000));
    assert.equal((await messagesFor(res.body.id)).length, 0);
    const { rows } = await rt.db.pool.query<{ status: string }>('SELECT status FROM flow_runs WHERE flow_id = $1', [res.body.id]);
    assert.equal(rows[0]!.status, 'paused');
    await saveInstallation(rt.db.pool, created.store.id, { accessTokenSealed: null, scopes: [] });
    await tick(at(3000));
    assert.equal((await messagesFor(res.body.id)).length, 1);
  });

  test('invalid definitions are refused naming the step', async () => {
    const base = { name: 'Bad', trigger: { type: 'metric', metric: 'X' }, start: 'a' };
    const dangling = await request(app).post('/api/v1/flows').set(auth).send({ ...base, steps: [{ id: 'a', type: 'email', subject: 's', html: 'h', next: 'nowhere' }] });
    assert.equal(dangling.status, 422);
    assert.match(dangling.body.detail, /step "a" leads to "nowhere"/);
    const loop = await request(app).post('/api/v1/flows').set(auth).send({ ...base, steps: [{ id: 'a', type: 'split', condition: { path: 'profile.email', op: 'exists' }, yes: 'b', no: 'b' }, { id: 'b', type: 'update-profile', set: { x: 1 }, next: 'a' }] });
    assert.equal(loop.status, 422);
    assert.match(loop.body.detail, /loop without a delay/);
    const template = await request(app).post('/api/v1/flows').set(auth).send({ ...base, steps: [{ id: 'a', type: 'email', subject: '{% if %}', html: 'h' }] });
    assert.equal(template.status, 422);
    assert.match(template.body.detail, /step "a" subject/);
    const unknown = await request(app).post('/api/v1/flows').set(auth).send({ ...base, steps: [{ id: 'a', type: 'teleport' }] });
    assert.equal(unknown.status, 422);
    assert.equal(unknown.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.equal((await request(app).get('/api/v1/flows/not-a-uuid').set(auth)).status, 404);
  });
});
