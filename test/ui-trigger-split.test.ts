// The builder's trigger-split form (the shared condition builder: property, operator, value): every condition the step has is shown and kept on save, a
// condition can be added in the spare row or dropped by emptying its row, and an error lands on
// the row the merchant sees.
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
const login = { email: 'owner@split.example', password: '' };

const whereOf = async () => {
  const found = await getFlow(rt.db.pool, store, flowId);
  const step = found!.definition.steps.find((s) => s.id === 'ts');
  return step?.type === 'trigger-split' ? step.where : undefined;
};

before(async () => {
  rt = await testRuntime();
  app = createApp(rt);
  store = (await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: 'split.example' })).store;
  login.password = (await issueMerchantLogin(rt.db.pool, store.id, login.email)).password;
  const created = await createFlow(
    rt.db.pool,
    store,
    {
      name: 'Big checkouts',
      trigger: { type: 'metric', metric: 'Started Checkout' },
      start: 'ts',
      steps: [
        {
          id: 'ts',
          type: 'trigger-split',
          where: [
            { path: 'event.properties.Currency', op: 'eq', value: 'EUR' },
            { path: 'event.value', op: 'gte', value: 100 },
          ],
          yes: 'mail',
        },
        { id: 'mail', type: 'email', subject: 'Still thinking?', html: '<p>Your cart</p>' },
      ],
    },
    { lowInventory: [] },
  );
  assert.ok(created.ok, JSON.stringify(!created.ok && created.errors));
  flowId = created.flow.id;
});

after(async () => rt.dispose());

test('every condition is shown, and saving keeps them all, adds the spare row and drops an emptied one', async () => {
  const { agent, csrf } = await signIn(app, 'app', login.email, login.password);
  const page = await agent.get(`/app/flows/${flowId}/steps/ts`).expect(200);
  assert.match(page.text, /name="where_prop_0" type="text" value="Currency"/);
  assert.match(page.text, /name="where_prop_1" type="text" value="value"/);
  assert.match(page.text, /<option value="gte" selected>is at least<\/option>/);
  assert.match(page.text, /name="where_value_1" type="text" value="100"/);
  assert.match(page.text, /name="where_prop_2" type="text" value=""/, 'a spare row to add a condition');

  const base = { _csrf: csrf, id: 'ts', yes: 'mail', no: '' };
  const kept = await agent.post(`/app/flows/${flowId}/steps/ts`).type('form').send({
    ...base,
    where_prop_0: 'Currency', where_op_0: 'eq', where_value_0: 'EUR',
    where_prop_1: 'value', where_op_1: 'gte', where_value_1: '150',
    where_prop_2: 'ItemNames', where_op_2: 'contains', where_value_2: 'Mug',
  });
  assert.equal(kept.status, 303, kept.text.slice(0, 500));
  assert.deepEqual(await whereOf(), [
    { path: 'event.properties.Currency', op: 'eq', value: 'EUR' },
    { path: 'event.value', op: 'gte', value: 150 },
    { path: 'event.properties.ItemNames', op: 'contains', value: 'Mug' },
  ]);

  const dropped = await agent.post(`/app/flows/${flowId}/steps/ts`).type('form').send({
    ...base,
    where_prop_0: '', where_op_0: '', where_value_0: '',
    where_prop_1: 'value', where_op_1: 'gte', where_value_1: '150',
    where_prop_2: 'ItemNames', where_op_2: 'contains', where_value_2: 'Mug',
  });
  assert.equal(dropped.status, 303);
  assert.deepEqual(await whereOf(), [
    { path: 'event.value', op: 'gte', value: 150 },
    { path: 'event.properties.ItemNames', op: 'contains', value: 'Mug' },
  ]);
});

test('a bad condition is shown on its own row with what was typed, and nothing is saved', async () => {
  const { agent, csrf } = await signIn(app, 'app', login.email, login.password);
  const before = await whereOf();
  const res = await agent.post(`/app/flows/${flowId}/steps/ts`).type('form').send({
    _csrf: csrf, id: 'ts', yes: 'mail', no: '',
    where_prop_0: '', where_op_0: '', where_value_0: '',
    where_prop_1: 'value', where_op_1: 'gte', where_value_1: '150',
    where_prop_2: 'Currency', where_op_2: 'about', where_value_2: 'EUR',
  });
  assert.equal(res.status, 422);
  // Row 0 was empty, so the bad condition is now the second row, and its error is there.
  assert.match(res.text, /<select id="where_op_1" name="where_op_1" aria-invalid="true"/);
  assert.match(res.text, /id="where_op_1-error">choose one of the options</);
  assert.match(res.text, /name="where_prop_0" type="text" value="value"/);
  assert.deepEqual(await whereOf(), before);
});
