// The merchant's back-in-stock settings in their words: the flow's minimum, shoppers per unit and
// recount interval (a number and a unit) on the flow settings page, and the store's request
// window in days on the store settings page; refusals name their field.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Express } from 'express';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { signIn } from './helpers/browser-client.ts';
import { createApp } from '../src/web/app.ts';
import { createStore } from '../src/stores/create-store.ts';
import { issueMerchantLogin } from '../src/accounts/merchant-accounts.ts';
import { createFlow, getFlow } from '../src/flows/flow-service.ts';
import { backInStockSettings } from '../src/ingest/back-in-stock.ts';
import type { Store } from '../src/model/store.ts';
import type { FlowId } from '../src/model/ids.ts';

let rt: TestRuntime;
let app: Express;
let store: Store;
let flowId: FlowId;
const login = { email: 'owner@boots.example', password: '' };

before(async () => {
  rt = await testRuntime();
  app = createApp(rt);
  store = (await createStore(rt.db.pool, rt.secrets, { platform: 'wix', domain: 'boots.example' })).store;
  login.password = (await issueMerchantLogin(rt.db.pool, store.id, login.email)).password;
  const created = await createFlow(rt.db.pool, store, { preset: 'back-in-stock' }, { lowInventory: [] });
  assert.ok(created.ok, JSON.stringify(!created.ok && created.errors));
  flowId = created.flow.id;
});

after(async () => rt.dispose());

test('the back-in-stock trigger is shown in units and hours, saved from the form, and a bad number is refused on its field', async () => {
  const { agent, csrf } = await signIn(app, 'app', login.email, login.password);
  const page = await agent.get(`/app/flows/${flowId}/settings`).expect(200);
  assert.match(page.text, /<option value="back-in-stock" selected>/);
  assert.match(page.text, /name="bis_minimum" type="number" value="1"/);
  assert.match(page.text, /name="bis_recount_amount" type="number" value="1"/);
  assert.match(page.text, /<option value="hours" selected>/);

  const form = { _csrf: csrf, name: 'Back for you', trigger_type: 'back-in-stock', bis_minimum: '5', bis_per_unit: '2', bis_recount_amount: '30', bis_recount_unit: 'minutes',
    reentry_mode: 'always', reentry_after_amount: '1', reentry_after_unit: 'days', smart_enabled: '', smart_hours: '16', smart_mode: 'skip', quiet_start: '21:00', quiet_end: '08:00', attribution_days: '5',
  };
  const saved = await agent.post(`/app/flows/${flowId}/settings`).type('form').send(form);
  assert.equal(saved.status, 303, saved.text.slice(0, 500));
  assert.deepEqual((await getFlow(rt.db.pool, store, flowId))!.definition.trigger, { type: 'back-in-stock', minimum: 5, perUnit: 2, recountMinutes: 30 });

  const days = await agent.post(`/app/flows/${flowId}/settings`).type('form').send({ ...form, bis_recount_amount: '2', bis_recount_unit: 'days' });
  assert.equal(days.status, 303);
  assert.deepEqual((await getFlow(rt.db.pool, store, flowId))!.definition.trigger, { type: 'back-in-stock', minimum: 5, perUnit: 2, recountMinutes: 2880 });
  const shown = await agent.get(`/app/flows/${flowId}/settings`).expect(200);
  assert.match(shown.text, /name="bis_recount_amount" type="number" value="2"/);
  assert.match(shown.text, /<option value="days" selected>/);

  const refused = await agent.post(`/app/flows/${flowId}/settings`).type('form').send({ ...form, bis_minimum: '0' });
  assert.equal(refused.status, 422);
  assert.match(refused.text, /id="bis_minimum-error">enter 1 or more/);
  assert.equal(((await getFlow(rt.db.pool, store, flowId))!.definition.trigger as { minimum: number }).minimum, 5);
});

test('the request window is a number of days on the store settings page', async () => {
  const { agent, csrf } = await signIn(app, 'app', login.email, login.password);
  const page = await agent.get('/app/settings/store').expect(200);
  assert.match(page.text, /name="request_days" type="number" value="90"/);
  const saved = await agent.post('/app/settings/back-in-stock').type('form').send({ _csrf: csrf, request_days: '45' });
  assert.equal(saved.status, 303);
  assert.deepEqual(await backInStockSettings(rt.db.pool, store.id), { requestDays: 45 });
  const refused = await agent.post('/app/settings/back-in-stock').type('form').send({ _csrf: csrf, request_days: '400' });
  assert.equal(refused.status, 422);
  assert.match(refused.text, /id="request_days-error">enter 365 days or less/);
  assert.deepEqual(await backInStockSettings(rt.db.pool, store.id), { requestDays: 45 });
});

test('the report page shows the waitlist numbers', async () => {
  const { agent } = await signIn(app, 'app', login.email, login.password);
  const page = await agent.get(`/app/flows/${flowId}/report`).expect(200);
  assert.match(page.text, /id="bis-numbers"/);
  assert.match(page.text, /Still waiting<b>0<\/b>/);
});
