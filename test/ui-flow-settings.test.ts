// Every setting of a flow definition has a form: trigger (segments picked by name, event
// conditions through the condition builder), filters
// through the condition builder, re-entry as a number and unit, smart sending with skip or hold,
// SMS quiet hours and the attribution window; mistakes come back as what to do.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Express } from 'express';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import type { Agent } from './helpers/browser-client.ts';
import { merchantStore } from './helpers/merchant-store.ts';
import { createApp } from '../src/web/app.ts';
import { createFlow, getFlow } from '../src/flows/flow-service.ts';
import { insertSegment } from '../src/db/repositories/segments.ts';
import type { Store } from '../src/model/store.ts';
import type { FlowId } from '../src/model/ids.ts';

let rt: TestRuntime;
let app: Express;
let store: Store;
let agent: Agent;
let csrf: string;
let flowId: FlowId;
let segmentId: string;

before(async () => {
  rt = await testRuntime();
  app = createApp(rt);
  ({ store, agent, csrf } = await merchantStore(rt, app, 'settings.example'));
  segmentId = (await insertSegment(rt.db.pool, store.id, 'VIP shoppers', { conditions: [] })).id;
  const created = await createFlow(rt.db.pool, store, { preset: 'abandoned-checkout' }, { lowInventory: [] });
  assert.ok(created.ok);
  flowId = created.flow.id;
});

after(async () => rt.dispose());

const form = (over: Record<string, string> = {}) => ({
  _csrf: csrf, name: 'Abandoned checkout', trigger_type: 'metric', metric: 'Started Checkout',
  reentry_mode: 'after', reentry_after_amount: '2', reentry_after_unit: 'days',
  filter_source_0: 'profile', filter_prop_0: 'vip', filter_op_0: 'eq', filter_value_0: 'true',
  filter_source_1: 'event', filter_prop_1: 'value', filter_op_1: 'gte', filter_value_1: '50',
  where_prop_0: 'value', where_op_0: 'gte', where_value_0: '20',
  smart_enabled: 'on', smart_hours: '12', smart_mode: 'hold', quiet_start: '22:00', quiet_end: '08:30', attribution_days: '7',
  ...over,
});

test('the settings page shows every setting as a form field, no JSON or ISO durations', async () => {
  const page = await agent.get(`/app/flows/${flowId}/settings`).expect(200);
  assert.match(page.text, /name="reentry_after_amount" type="number" value="1"/);
  assert.match(page.text, /<option value="days" selected>days<\/option>/);
  assert.match(page.text, /name="filter_prop_0"/);
  assert.match(page.text, /name="smart_enabled" value="on" checked/);
  assert.match(page.text, /name="quiet_start" type="time" value="21:00"/);
  assert.match(page.text, /name="attribution_days" type="number" value="5"/);
  assert.match(page.text, new RegExp(`<option value="${segmentId}">VIP shoppers</option>`), 'segments are picked by name');
  assert.match(page.text, /firstPurchaseAt for the day of their first order/, 'the date trigger names the first-purchase date it can use');
  assert.doesNotMatch(page.text, /ISO|P1D/);
});

test('saving the form writes filters, re-entry, smart sending, quiet hours and attribution', async () => {
  const res = await agent.post(`/app/flows/${flowId}/settings`).type('form').send(form());
  assert.equal(res.status, 303, res.text.slice(0, 800));
  const { definition } = (await getFlow(rt.db.pool, store, flowId))!;
  assert.deepEqual(definition.reentry, { mode: 'after', after: 'P2D' });
  assert.deepEqual(definition.trigger, { type: 'metric', metric: 'Started Checkout', where: [{ path: 'event.value', op: 'gte', value: 20 }] });
  assert.deepEqual(definition.filters, [{ path: 'profile.properties.vip', op: 'eq', value: true }, { path: 'event.value', op: 'gte', value: 50 }]);
  assert.deepEqual(definition.smartSending, { enabled: true, windowHours: 12, mode: 'hold' });
  assert.deepEqual(definition.quietHours, { start: '22:00', end: '08:30' });
  assert.equal(definition.attributionDays, 7);
  const again = await agent.get(`/app/flows/${flowId}/settings`).expect(200);
  assert.match(again.text, /name="filter_prop_1" type="text" value="value"/);
  assert.match(again.text, /<option value="hold" selected>/);
});

test('a segment trigger is saved from the picker', async () => {
  const res = await agent.post(`/app/flows/${flowId}/settings`).type('form').send(form({ trigger_type: 'segment', segmentId }));
  assert.equal(res.status, 303);
  const { definition } = (await getFlow(rt.db.pool, store, flowId))!;
  assert.deepEqual(definition.trigger, { type: 'segment', segmentId });
  const list = await agent.post(`/app/flows/${flowId}/settings`).type('form').send(form({ trigger_type: 'segment', segmentId: '' }));
  assert.match(list.text, /id="segmentId-error">choose one from the list</);
});

test('mistakes come back as what to do, and nothing is saved', async () => {
  const before = (await getFlow(rt.db.pool, store, flowId))!.flow.version;
  const res = await agent.post(`/app/flows/${flowId}/settings`).type('form').send(form({ quiet_start: '25:00', attribution_days: '0', reentry_after_amount: 'soon', smart_hours: '9999' }));
  assert.equal(res.status, 422);
  assert.match(res.text, /choose a time of day, such as 09:00/);
  assert.match(res.text, /enter 1 or more/);
  assert.match(res.text, /enter a whole number above 0 and choose a unit/);
  assert.match(res.text, /enter 720 or less/);
  assert.doesNotMatch(res.text, /must match pattern|Invalid UUID|ISO 8601/);
  assert.equal((await getFlow(rt.db.pool, store, flowId))!.flow.version, before);
});
