// The flow settings form for a price-drop trigger: the saved settings are shown, a saved form
// becomes the trigger (an empty minimum is no minimum), and a refused one names its field.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Express } from 'express';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { signIn } from './helpers/browser-client.ts';
import { createApp } from '../src/web/app.ts';
import { createStore } from '../src/stores/create-store.ts';
import { issueMerchantLogin } from '../src/accounts/merchant-accounts.ts';
import { createFlow, getFlow } from '../src/flows/flow-service.ts';
import type { Store } from '../src/model/store.ts';
import type { FlowId } from '../src/model/ids.ts';

let rt: TestRuntime;
let app: Express;
let store: Store;
let flowId: FlowId;
const login = { email: 'owner@drop.example', password: '' };

before(async () => {
  rt = await testRuntime();
  app = createApp(rt);
  store = (await createStore(rt.db.pool, rt.secrets, { platform: 'wix', domain: 'drop.example' })).store;
  login.password = (await issueMerchantLogin(rt.db.pool, store.id, login.email)).password;
  const created = await createFlow(rt.db.pool, store, { preset: 'price-drop' }, { lowInventory: [] });
  assert.ok(created.ok, JSON.stringify(!created.ok && created.errors));
  flowId = created.flow.id;
});

after(async () => rt.dispose());

test('the price-drop settings are shown, saved from the form, and a form with neither minimum is refused on its field', async () => {
  const { agent, csrf } = await signIn(app, 'app', login.email, login.password);
  const page = await agent.get(`/app/flows/${flowId}/settings`).expect(200);
  assert.match(page.text, /<option value="price-drop" selected>/);
  assert.match(page.text, /name="pd_percent" type="number" value="10"/);
  assert.match(page.text, /name="pd_metrics" value="Added to Cart" checked/);

  const form = { _csrf: csrf, name: 'Cheaper now', trigger_type: 'price-drop', pd_level: 'product', pd_lookback: '14', pd_exclude: '7', pd_metrics: ['Viewed Product', 'Started Checkout'], reentry_mode: 'always', reentry_after_amount: '1', reentry_after_unit: 'days',
    smart_enabled: 'on', smart_hours: '24', smart_mode: 'skip', quiet_start: '21:00', quiet_end: '08:00', attribution_days: '5',
  };
  const saved = await agent.post(`/app/flows/${flowId}/settings`).type('form').send({ ...form, pd_percent: '', pd_amount: '5' });
  assert.equal(saved.status, 303, saved.text.slice(0, 500));
  assert.deepEqual((await getFlow(rt.db.pool, store, flowId))!.definition.trigger, {
    type: 'price-drop', level: 'product', minAmount: 5, metrics: ['Viewed Product', 'Started Checkout'], lookbackDays: 14, excludePurchasedWithinDays: 7,
  });

  const refused = await agent.post(`/app/flows/${flowId}/settings`).type('form').send({ ...form, pd_percent: '', pd_amount: '' });
  assert.equal(refused.status, 422);
  assert.match(refused.text, /id="pd_percent-error">[^<]*needs minPercent, minAmount or both/);
  assert.equal((await getFlow(rt.db.pool, store, flowId))!.definition.trigger.type, 'price-drop');
});
