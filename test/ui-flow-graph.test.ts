// The builder graph's page and its forms: lanes side by side for a split, add / move / remove
// as plain CSRF forms that publish a new version through the flow service (a live flow stays
// live), and stale or refused edits answered with a page that says what to do.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Express } from 'express';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { merchantStore } from './helpers/merchant-store.ts';
import type { Agent } from './helpers/browser-client.ts';
import { createApp } from '../src/web/app.ts';
import { createFlow, getFlow } from '../src/flows/flow-service.ts';
import type { Store } from '../src/model/store.ts';
import type { FlowId } from '../src/model/ids.ts';

let rt: TestRuntime;
let app: Express;
let store: Store;
let agent: Agent;
let csrf: string;
let flowId: FlowId;

before(async () => {
  rt = await testRuntime();
  app = createApp(rt);
  ({ store, agent, csrf } = await merchantStore(rt, app, 'graph.example'));
  const created = await createFlow(
    rt.db.pool,
    store,
    {
      name: 'Checkout nudge',
      status: 'live',
      trigger: { type: 'metric', metric: 'Started Checkout' },
      start: 'wait',
      steps: [
        { id: 'wait', type: 'delay', duration: 'PT4H', next: 'bought' },
        { id: 'bought', type: 'split', condition: { metric: 'Placed Order', since: 'entry', atLeast: 1 }, yes: 'thanks', no: 'nudge' },
        { id: 'thanks', type: 'email', subject: 'Thank you', html: '<p>Thanks</p>', next: 'tag' },
        { id: 'nudge', type: 'email', subject: 'Still thinking?', html: '<p>Your cart</p>', next: 'tag' },
        { id: 'tag', type: 'update-profile', set: { nudged: true } },
      ],
    },
    { lowInventory: [] },
  );
  assert.ok(created.ok, JSON.stringify(!created.ok && created.errors));
  flowId = created.flow.id;
});

after(async () => rt.dispose());

const current = async () => (await getFlow(rt.db.pool, store, flowId))!;
const formValue = (html: string, field: string, near: string) => {
  const at = html.indexOf(near);
  assert.ok(at >= 0, `no ${near} on the page`);
  const m = new RegExp(`name="${field}" value="([^"]+)"`).exec(html.slice(at));
  return m![1]!.replace(/&#39;/g, "'").replace(/&amp;/g, '&');
};

test('the page draws the split’s lanes side by side, in merchant words, with a control per place', async () => {
  const page = await agent.get(`/app/flows/${flowId}`).expect(200);
  const html = page.text;
  assert.match(html, /<ul class="fg-lanes fg-joins" aria-label="Lanes of step bought">/);
  assert.match(html, /<p class="fg-lane-label">Yes<\/p>[\s\S]*Thank you[\s\S]*<p class="fg-lane-label">No<\/p>[\s\S]*Still thinking\?/);
  assert.match(html, /Wait 4 hours/);
  assert.match(html, /Joins the other lanes at step tag/);
  // Add points: start, between wait and the split, top and end of each lane, below the split, end.
  assert.equal(html.match(/action="\/app\/flows\/[^"]+\/graph\/add"/g)?.length, 8);
  assert.match(html, /aria-keyshortcuts="Alt\+ArrowUp"/);
  assert.match(html, /<link rel="stylesheet" href="\/assets\/ui\/flow-graph.css">/);
});

test('add, move and remove publish new versions, and the live flow stays live', async () => {
  const v0 = (await current()).flow.version;
  let page = (await agent.get(`/app/flows/${flowId}`)).text;
  // Add an SMS at the top of the No lane.
  const at = formValue(page, 'at', 'Add step here<span class="visually-hidden"> (No lane of step bought: at the top');
  const added = await agent.post(`/app/flows/${flowId}/graph/add`).type('form').send({ _csrf: csrf, at, type: 'sms' });
  assert.equal(added.status, 303, added.text);
  assert.equal(added.headers.location, `/app/flows/${flowId}/steps/sms-1`);
  let found = await current();
  assert.equal(found.flow.status, 'live');
  assert.equal(found.flow.version, v0 + 1);
  const steps = () => Object.fromEntries(found.definition.steps.map((s) => [s.id, s]));
  assert.equal((steps().bought as { no?: string }).no, 'sms-1');
  assert.equal((steps()['sms-1'] as { next?: string }).next, 'nudge');

  // Move it down (below nudge, still in the No lane).
  page = (await agent.get(`/app/flows/${flowId}`)).text;
  const down = /name="step" value="sms-1"><input type="hidden" name="to" value="([^"]+)"><button type="submit" class="secondary" data-key="down"/.exec(page)![1]!;
  const moved = await agent.post(`/app/flows/${flowId}/graph/move`).type('form').send({ _csrf: csrf, step: 'sms-1', to: down });
  assert.equal(moved.status, 303, moved.text);
  assert.equal(moved.headers.location, `/app/flows/${flowId}?done=moved&step=sms-1#step-sms-1`);
  found = await current();
  assert.equal((steps().bought as { no?: string }).no, 'nudge');
  assert.equal((steps().nudge as { next?: string }).next, 'sms-1');
  assert.equal((steps()['sms-1'] as { next?: string }).next, 'tag');
  assert.match((await agent.get(`/app/flows/${flowId}?done=moved`)).text, /Step moved\./);

  // Removing the split takes both lanes; what led to it goes on where they met.
  const removed = await agent.post(`/app/flows/${flowId}/graph/remove`).type('form').send({ _csrf: csrf, step: 'bought' });
  assert.equal(removed.status, 303, removed.text);
  found = await current();
  assert.deepEqual(found.definition.steps.map((s) => s.id).sort(), ['tag', 'wait']);
  assert.equal((steps().wait as { next?: string }).next, 'tag');
  assert.equal(found.flow.status, 'live');
});

test('a stale place, a missing kind of step and a missing CSRF token are refused in words', async () => {
  const stale = await agent.post(`/app/flows/${flowId}/graph/add`).type('form').send({ _csrf: csrf, at: 'gone:next', type: 'email' });
  assert.equal(stale.status, 409);
  assert.match(stale.text, /The flow changed since this page was loaded; reload it and try again\./);
  const noType = await agent.post(`/app/flows/${flowId}/graph/add`).type('form').send({ _csrf: csrf, at: 'start' });
  assert.equal(noType.status, 422);
  assert.match(noType.text, /Choose a kind of step to add\./);
  const forged = await agent.post(`/app/flows/${flowId}/graph/remove`).type('form').send({ step: 'wait' });
  assert.equal(forged.status, 403);
  assert.equal((await current()).definition.steps.length, 2);
});
