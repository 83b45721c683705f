// Review and results in the merchant app: the outbox shows each message's body and decides all
// held messages at once; the report shows A/B arms and picks a winner; flows are cloned,
// archived and deleted (refused while shoppers are inside); SMS steps show their part count and
// can be test-sent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Express } from 'express';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import type { Agent } from './helpers/browser-client.ts';
import { merchantStore } from './helpers/merchant-store.ts';
import { createApp } from '../src/web/app.ts';
import { createFlow, getFlow } from '../src/flows/flow-service.ts';
import { ingestProfiles } from '../src/ingest/ingest-profiles.ts';
import { enqueueMessage } from '../src/messaging/outbox.ts';
import { insertRuns } from '../src/db/repositories/flow-runs.ts';
import { smsSegments } from '../src/merchant/sms-segments.ts';
import type { Store } from '../src/model/store.ts';
import type { FlowId, ProfileId } from '../src/model/ids.ts';

let rt: TestRuntime;
let app: Express;
let store: Store;
let agent: Agent;
let csrf: string;
let profileId: ProfileId;
const noPolicy = { lowInventory: [] };

const abFlow = {
  name: 'Welcome test',
  trigger: { type: 'list', list: 'Newsletter' },
  start: 'ab',
  steps: [
    { id: 'ab', type: 'ab', branches: [{ weight: 50, next: 'a' }, { weight: 50, next: 'b' }] },
    { id: 'a', type: 'email', subject: 'Hello A', html: '<p>A</p>' },
    { id: 'b', type: 'sms', text: 'Hello from {{ store.domain }}' },
  ],
};

before(async () => {
  rt = await testRuntime();
  app = createApp(rt);
  ({ store, agent, csrf } = await merchantStore(rt, app, 'review.example'));
  await ingestProfiles(rt.db.pool, store.id, [{ email: 'shopper@review.example' }]);
  const { rows } = await rt.db.pool.query<{ id: string }>('SELECT id FROM profiles WHERE store_id = $1', [store.id]);
  profileId = rows[0]!.id as ProfileId;
});

after(async () => rt.dispose());

const hold = (flowId: FlowId, n: number) =>
  enqueueMessage(rt.db.pool, {
    storeId: store.id, flowId, flowVersion: 1, runId: null, stepId: 'a', profileId, channel: 'email', to: 'shopper@review.example',
    subject: `Held ${n}`, html: `<p>Body of held message ${n}</p>`, text: null, dedupeKey: `held-${flowId}-${n}`, status: 'held',
  });

test('the outbox shows each message body, and all held messages of a flow are sent at once', async () => {
  const created = await createFlow(rt.db.pool, store, { ...abFlow, status: 'manual' }, noPolicy);
  assert.ok(created.ok);
  await hold(created.flow.id, 1);
  await hold(created.flow.id, 2);
  const page = await agent.get(`/app/messages?status=held&flowId=${created.flow.id}`).expect(200);
  assert.match(page.text, /srcdoc="&lt;p&gt;Body of held message 1&lt;\/p&gt;"/, 'the rendered body, in a sandboxed frame');
  assert.match(page.text, /Send all held/);
  const res = await agent.post('/app/messages/held/decide').type('form').send({ _csrf: csrf, action: 'send', flowId: created.flow.id });
  assert.equal(res.status, 303);
  assert.match(res.headers.location!, /done=all-sent&n=2/);
  const { rows } = await rt.db.pool.query<{ status: string }>('SELECT status FROM messages WHERE flow_id = $1', [created.flow.id]);
  assert.deepEqual(rows.map((r) => r.status), ['queued', 'queued']);
});

test('the report shows every A/B arm, and picking a winner sends every new shopper down it', async () => {
  const created = await createFlow(rt.db.pool, store, abFlow, noPolicy);
  assert.ok(created.ok);
  const report = await agent.get(`/app/flows/${created.flow.id}/report`).expect(200);
  assert.match(report.text, /A\/B test “ab”/);
  assert.match(report.text, /<th scope="row">Arm A<\/th><td class="num">50%<\/td><td>a<\/td>/);
  assert.match(report.text, /<th scope="row">Arm B<\/th><td class="num">50%<\/td><td>b<\/td>/);
  const res = await agent.post(`/app/flows/${created.flow.id}/ab-winner`).type('form').send({ _csrf: csrf, step: 'ab', branch: '1' });
  assert.equal(res.status, 303);
  const { definition } = (await getFlow(rt.db.pool, store, created.flow.id))!;
  const ab = definition.steps.find((s) => s.id === 'ab');
  assert.deepEqual(ab?.type === 'ab' && ab.branches.map((b) => b.weight), [0, 100]);
  const after = await agent.get(`/app/flows/${created.flow.id}/report`).expect(200);
  assert.match(after.text, /<span class="badge ok">winner<\/span>/);
});

test('a flow is cloned as a draft copy, archived out of the list, and deleted only when nobody is inside', async () => {
  const created = await createFlow(rt.db.pool, store, { ...abFlow, name: 'Lifecycle', status: 'live' }, noPolicy);
  assert.ok(created.ok);
  const id = created.flow.id;
  const clone = await agent.post(`/app/flows/${id}/clone`).type('form').send({ _csrf: csrf });
  assert.equal(clone.status, 303);
  const copyId = /\/app\/flows\/([0-9a-f-]{36})/.exec(clone.headers.location!)![1]! as FlowId;
  const copy = (await getFlow(rt.db.pool, store, copyId))!;
  assert.equal(copy.flow.name, 'Copy of Lifecycle');
  assert.equal(copy.flow.status, 'draft');
  assert.deepEqual(copy.definition.steps, created.definition.steps);

  await insertRuns(rt.db.pool, [{
    storeId: store.id, flowId: id, version: 1, profileId, key: 'lifecycle-1', status: 'active', startStep: 'ab',
    nextAt: new Date(Date.now() + 3_600_000), enteredAt: new Date(), triggerEvent: null, context: { webhooks: {}, branches: {} },
  }]);
  const refused = await agent.post(`/app/flows/${id}/delete`).type('form').send({ _csrf: csrf });
  assert.equal(refused.status, 409);
  assert.match(refused.text, /1 shoppers are still inside this flow, so it cannot be deleted\. Archive it instead/);
  assert.ok(await getFlow(rt.db.pool, store, id), 'still there');

  const archived = await agent.post(`/app/flows/${id}/archive`).type('form').send({ _csrf: csrf });
  assert.equal(archived.status, 303);
  const state = (await getFlow(rt.db.pool, store, id))!.flow;
  assert.equal(state.status, 'draft', 'archiving stops the flow');
  assert.ok(state.archivedAt);
  const list = await agent.get('/app/flows').expect(200);
  assert.match(list.text, /<table id="archived-flows">[\s\S]*Lifecycle[\s\S]*<\/table>/);

  const deleted = await agent.post(`/app/flows/${copyId}/delete`).type('form').send({ _csrf: csrf });
  assert.equal(deleted.status, 303);
  assert.equal(await getFlow(rt.db.pool, store, copyId), undefined);
});

test('SMS parts are counted as GSM-7 or UCS-2', () => {
  assert.deepEqual(smsSegments('a'.repeat(160)), { encoding: 'GSM-7', characters: 160, units: 160, segments: 1, perSegment: 160 });
  assert.equal(smsSegments('a'.repeat(161)).segments, 2);
  assert.equal(smsSegments('a'.repeat(307)).segments, 3, '153 per part once split');
  assert.equal(smsSegments('{'.repeat(80)).segments, 1, 'an escaped character counts twice');
  assert.equal(smsSegments('{'.repeat(81)).segments, 2);
  assert.deepEqual(smsSegments('ł'.repeat(70)), { encoding: 'UCS-2', characters: 70, units: 70, segments: 1, perSegment: 70 });
  assert.equal(smsSegments('ł'.repeat(71)).segments, 2);
  assert.equal(smsSegments('ł'.repeat(135)).segments, 3, '67 per part once split');
});

test('an SMS step previews with its part count and can be test-sent to a mobile number', async () => {
  const created = await createFlow(rt.db.pool, store, { ...abFlow, name: 'SMS' }, noPolicy);
  assert.ok(created.ok);
  const preview = await agent.post(`/app/flows/${created.flow.id}/steps/b/preview`).type('form').send({ _csrf: csrf, id: 'b', text: 'Hello from {{ store.domain }}' });
  assert.equal(preview.status, 200);
  assert.match(preview.text, /id="sms-segments">\d+ characters, GSM-7: <strong>1 part<\/strong>/);
  const bad = await agent.post(`/app/flows/${created.flow.id}/steps/b/test-send`).type('form').send({ _csrf: csrf, id: 'b', text: 'Hi', test_to: 'not a phone' });
  assert.equal(bad.status, 422);
  assert.match(bad.text, /id="test_to-error">enter the mobile number to send the test to, with its country code/);
  const sent = await agent.post(`/app/flows/${created.flow.id}/steps/b/test-send`).type('form').send({ _csrf: csrf, id: 'b', text: 'Hello from {{ store.domain }}', test_to: '+44 7700 900123' });
  assert.equal(sent.status, 200);
  assert.match(sent.text, /Test message queued for \+44 7700 900123/);
  const { rows } = await rt.db.pool.query<{ channel: string; recipient: string; body_text: string; profile_id: string | null }>(
    `SELECT channel, recipient, body_text, profile_id FROM messages WHERE store_id = $1 AND step_id LIKE 'test:%'`, [store.id]);
  assert.deepEqual(rows, [{ channel: 'sms', recipient: '+447700900123', body_text: '[Test] Hello from review.example', profile_id: null }]);
});
