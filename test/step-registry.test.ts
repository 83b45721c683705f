// The table of step types (src/flows/steps/registry.ts) is complete: every type of the definition's
// Step union has a module with every part and a view, and every registered module is reached by
// each place that asks about a step (parsing, validation, the orchestrator, the flow page's
// summary and edges, the step editor's form, view and save).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import { FlowDefinition, Step } from '../src/flows/definition.ts';
import { STEP_MODULES, STEP_TYPES, moduleOfType, stepModule } from '../src/flows/steps/registry.ts';
import { advance, type RunFacts } from '../src/flows/orchestrator.ts';
import { validateFlow } from '../src/flows/validate-flow.ts';
import { graph } from '../src/merchant/flow-graph.ts';
import { formOfStep, stepOfForm } from '../src/merchant/step-form.ts';
import type { FlowRun } from '../src/model/flow.ts';
import type { FlowId, FlowRunId, ProfileId, StoreId } from '../src/model/ids.ts';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { signIn } from './helpers/browser-client.ts';
import { createApp } from '../src/web/app.ts';
import { createStore } from '../src/stores/create-store.ts';
import { issueMerchantLogin } from '../src/accounts/merchant-accounts.ts';
import { createFlow, getFlow } from '../src/flows/flow-service.ts';
import type { Store } from '../src/model/store.ts';

const now = new Date('2026-06-01T10:00:00Z');

/** As stored: a key left undefined is no key. */
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

/** The discriminator value of each option of the Step union, as zod holds it. */
const unionTypes = (): string[] => Step.options.map((o) => String((o.shape.type as { value: unknown }).value));

const flowWith = (step: unknown) =>
  FlowDefinition.parse({
    name: 'One step',
    status: 'live',
    trigger: { type: 'metric', metric: 'Placed Order' },
    start: (step as { id: string }).id,
    steps: [step, { id: 'done', type: 'exit' }],
  });

const runAt = (step: string): FlowRun => ({
  id: randomUUID() as FlowRunId,
  storeId: randomUUID() as StoreId,
  flowId: randomUUID() as FlowId,
  version: 1,
  profileId: randomUUID() as ProfileId,
  key: 'k',
  status: 'active',
  currentStep: step,
  nextAt: now,
  stepCount: 0,
  enteredAt: now,
  triggerEvent: { id: 'e', metric: 'Placed Order', time: now.toISOString(), value: 120, properties: {}, items: [] },
  context: { branches: {}, webhooks: {} } as FlowRun['context'],
  waitMetric: null,
});

const facts = (): RunFacts => ({
  now,
  flowStatus: 'live',
  storeActive: true,
  profile: { id: 'p', email: 'ada@example.com', phone: '+447700900123', firstName: null, lastName: null, timezone: 'UTC', properties: {}, consent: { email: 'subscribed', sms: 'subscribed' } },
  lastMessaged: { email: null, sms: null },
  metricCount: () => 0,
});

test('every type of the Step union has exactly one module, and every module is in the union', () => {
  const inUnion = unionTypes().sort();
  const registered = STEP_MODULES.map((m) => m.type).sort();
  assert.deepEqual(registered, inUnion);
  assert.equal(new Set(registered).size, registered.length, 'no type is registered twice');
  assert.deepEqual([...STEP_TYPES].sort(), inUnion, 'the editor offers every type');
  for (const type of inUnion) assert.equal(moduleOfType(type)?.type, type);
  assert.equal(moduleOfType('teleport'), undefined);
});

test('every module has each part, and a view of its form inputs', () => {
  for (const type of STEP_TYPES) {
    const m = moduleOfType(type)!;
    for (const part of ['schema', 'edges', 'advance', 'needs', 'form', 'summary', 'sample'] as const) assert.ok(m[part], `${type} has ${part}`);
    for (const part of ['values', 'parse', 'edgeFields'] as const) assert.ok(m.form[part], `${type} form has ${part}`);
    assert.ok(existsSync(new URL(`../views/app/steps/${type}.liquid`, import.meta.url)), `views/app/steps/${type}.liquid exists`);
  }
});

test('each module is reached by parsing, validation, the orchestrator, the flow page and the form', () => {
  for (const type of STEP_TYPES) {
    const m = moduleOfType(type)!;
    const sample = m.sample(`${type}-1`, 'done');
    // Its sample is a valid step, by its own schema and by the union.
    assert.deepEqual(Step.parse(sample), m.schema.parse(sample), type);
    const def = flowWith(sample);
    const step = def.steps[0]!;
    assert.equal(stepModule(step), m, `${type} is looked up by its step`);

    const check = validateFlow(def, () => ({ ok: true }));
    assert.deepEqual(check.errors, [], `${type}: ${JSON.stringify(check.errors)}`);

    // The orchestrator hands the run to the module: it acts on the step, never "not known".
    const out = advance(runAt(step.id), def, facts());
    assert.doesNotMatch(out.endReason ?? '', /not known/, type);
    assert.ok(out.logs.some((l) => l.stepId === step.id) || out.currentStep === step.id, `${type} was visited`);

    // The flow page: its summary, and its edges lead where the sample said.
    const node = graph(def).find((n) => n.step.id === step.id)!;
    assert.ok(node.summary.length > 0, type);
    for (const e of node.edges) assert.equal(e.to, 'done', `${type} edge ${e.key}`);

    // The editor's form gives back the same step.
    const form = formOfStep(step);
    const back = stepOfForm(type, form);
    assert.ok('step' in back, `${type}: ${JSON.stringify(back)}`);
    assert.deepEqual(plain(Step.parse(back.step)), plain(step), `${type} survives its form`);
    for (const e of m.form.edgeFields) assert.equal(form[e.name], 'done', `${type} edge field ${e.name}`);
  }
});

test('a stored step of a type with no module is refused by parsing and ends a run that meets it', () => {
  assert.throws(() => flowWith({ id: 't', type: 'teleport', next: 'done' }));
  const def = flowWith({ id: 't', type: 'exit' });
  (def.steps[0] as { type: string }).type = 'teleport';
  const out = advance(runAt('t'), def, facts());
  assert.equal(out.endReason, 'step type teleport is not known to this version');
});

// Through the app: every registered type can be added, shown with its own view, and saved back.
let rt: TestRuntime;
let app: Express;
let store: Store;
const login = { email: 'owner@steps.example', password: '' };

before(async () => {
  rt = await testRuntime();
  app = createApp(rt);
  store = (await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: 'steps.example' })).store;
  login.password = (await issueMerchantLogin(rt.db.pool, store.id, login.email)).password;
});
after(async () => rt.dispose());

test('every registered step type is added, edited in its own view and saved unchanged through the editor', async () => {
  const created = await createFlow(
    rt.db.pool,
    store,
    { name: 'Every step', trigger: { type: 'metric', metric: 'Placed Order' }, start: 'last', steps: [{ id: 'last', type: 'exit' }] },
    { lowInventory: [] },
  );
  assert.ok(created.ok, JSON.stringify(!created.ok && created.errors));
  const flowId = created.flow.id;
  const { agent, csrf } = await signIn(app, 'app', login.email, login.password);
  for (const type of STEP_TYPES) {
    const added = await agent.post(`/app/flows/${flowId}/steps`).type('form').send({ _csrf: csrf, type, at: 'start' });
    assert.equal(added.status, 303, `${type}: ${added.text.slice(0, 300)}`);
    const stepId = decodeURIComponent(added.headers.location!.split('/').pop()!);
    const page = await agent.get(`/app/flows/${flowId}/steps/${stepId}`).expect(200);
    assert.match(page.text, new RegExp(`· ${type}</span>`));
    const stored = (await getFlow(rt.db.pool, store, flowId))!.definition.steps.find((s) => s.id === stepId)!;
    const form = formOfStep(stored);
    // Each value the form holds has its input on the page (its own view, or the shared edges);
    // row counts and a trigger split's fixed "event" source are not inputs.
    for (const name of Object.keys(form).filter((k) => k !== 'type' && !/_rows$|^where_source_/.test(k))) {
      assert.match(page.text, new RegExp(`name="${name}"`), `${type} shows ${name}`);
    }
    const saved = await agent.post(`/app/flows/${flowId}/steps/${stepId}`).type('form').send({ _csrf: csrf, ...form });
    assert.equal(saved.status, 303, `${type}: ${saved.text.slice(0, 500)}`);
    const reread = (await getFlow(rt.db.pool, store, flowId))!.definition.steps.find((s) => s.id === stepId);
    assert.deepEqual(reread, stored, `${type} saved unchanged`);
  }
});
