// Four things a merchant met in the app that did not work: the low-inventory audience preview,
// held messages stranded by manual → draft → live, a false missing-variable warning on the
// abandoned-checkout preset, and a test send that made a shopper profile of the address typed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Express } from 'express';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { signIn } from './helpers/browser-client.ts';
import { createApp } from '../src/web/app.ts';
import { createStore } from '../src/stores/create-store.ts';
import { findStoreById } from '../src/db/repositories/stores.ts';
import { issueMerchantLogin } from '../src/accounts/merchant-accounts.ts';
import { changeFlowStatus, createFlow } from '../src/flows/flow-service.ts';
import { ingestCatalog } from '../src/ingest/ingest-catalog.ts';
import { ingestProfiles } from '../src/ingest/ingest-profiles.ts';
import { enqueueMessage } from '../src/messaging/outbox.ts';
import { createMessageDelivery } from '../src/jobs/deliver-messages.ts';
import { previewTemplate, sendTest } from '../src/merchant/template-preview.ts';
import { PRESETS } from '../src/flows/presets.ts';
import type { Store } from '../src/model/store.ts';
import type { ExternalProductId, FlowId, ProfileId } from '../src/model/ids.ts';

let rt: TestRuntime;
let app: Express;
let store: Store;
const login = { email: 'owner@fixes.example', password: '' };
const noPolicy = { lowInventory: [] };
const deps = () => ({ pool: rt.db.pool, config: rt.config, secrets: rt.secrets });

before(async () => {
  rt = await testRuntime();
  app = createApp(rt);
  const created = await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: 'fixes.example' });
  // Support has checked this custom catalog and turned the low-inventory trigger on.
  await rt.db.pool.query('UPDATE stores SET custom_low_inventory_enabled = true WHERE id = $1', [created.store.id]);
  store = (await findStoreById(rt.db.pool, created.store.id))!;
  login.password = (await issueMerchantLogin(rt.db.pool, store.id, login.email)).password;
  await ingestCatalog(rt.db.pool, store.id, [
    { externalId: 'mug' as ExternalProductId, title: 'Blue Mug', url: 'https://fixes.example/mug', imageUrl: null, price: 12, inventoryTracking: 'product', inventoryQuantity: 9, variants: [] },
  ]);
});

after(async () => rt.dispose());

test('the low-inventory audience preview shows the number of shoppers, not an empty error box', async () => {
  const created = await createFlow(rt.db.pool, store, { preset: 'low-inventory' }, { lowInventory: [{ level: 'product', metrics: ['Viewed Product'] }] });
  assert.ok(created.ok, JSON.stringify(!created.ok && created.errors));
  const { agent } = await signIn(app, 'app', login.email, login.password);
  const page = await agent.get(`/app/flows/${created.flow.id}/settings?product=mug`).expect(200);
  assert.match(page.text, /<p class="notice" role="status" id="reach"><strong>0<\/strong> shoppers would get the message for Blue Mug/);
  assert.doesNotMatch(page.text, /<p class="form-error" role="alert" id="reach">\s*<\/p>/);
});

test('messages held in Manual go out when the flow turns live, also by way of draft', async () => {
  const created = await createFlow(rt.db.pool, store, { preset: 'welcome', status: 'manual' }, noPolicy);
  assert.ok(created.ok);
  const flowId = created.flow.id as FlowId;
  await ingestProfiles(rt.db.pool, store.id, [{ email: 'held@fixes.example' }]);
  const { rows: [p] } = await rt.db.pool.query<{ id: string }>('SELECT id FROM profiles WHERE store_id = $1 AND email = $2', [store.id, 'held@fixes.example']);
  const profileId = p!.id as ProfileId;
  const held = await enqueueMessage(rt.db.pool, {
    storeId: store.id, flowId, flowVersion: 1, runId: null, stepId: 'email-1', profileId, channel: 'email', to: 'held@fixes.example',
    subject: 'Welcome', html: '<p>Hi</p>', text: null, dedupeKey: `held-${flowId}`, status: 'held',
  });
  await changeFlowStatus(rt.db.pool, store, flowId, 'draft');
  const live = await changeFlowStatus(rt.db.pool, store, flowId, 'live');
  assert.equal(live?.releasedMessages, 1);
  const { rows } = await rt.db.pool.query<{ status: string }>('SELECT status FROM messages WHERE id = $1', [held.id]);
  assert.equal(rows[0]?.status, 'queued');
});

test('the abandoned-checkout preview does not ask for abandoned_checkout_url when CheckoutURL is set', async () => {
  const email = PRESETS['abandoned-checkout'].steps.find((s) => s.id === 'email') as { subject: string; html: string };
  const preview = await previewTemplate(deps(), store, { type: 'metric', metric: 'Started Checkout', where: [] }, { channel: 'email', subject: email.subject, html: email.html, text: '' });
  assert.deepEqual(preview.errors, []);
  assert.ok(!preview.missing.some((m) => m.includes('abandoned_checkout_url')), `missing: ${preview.missing.join(', ')}`);
  assert.match(preview.html, /href="https:\/\/fixes\.example\/checkout"/);
});

test('a fallback is still named when the value before it is missing too', async () => {
  const preview = await previewTemplate(deps(), store, { type: 'metric', metric: 'Started Checkout', where: [] }, {
    channel: 'email', subject: 'x', html: '{{ event.properties.Nope | default: event.properties.AlsoNope }}', text: '',
  });
  assert.deepEqual(preview.missing, ['event.properties.AlsoNope', 'event.properties.Nope']);
});

test('a test send queues the message without creating a profile for the address', async () => {
  const before = await rt.db.pool.query('SELECT count(*)::int AS n FROM profiles WHERE store_id = $1', [store.id]);
  const created = await createFlow(rt.db.pool, store, { preset: 'birthday' }, noPolicy);
  assert.ok(created.ok);
  const result = await sendTest(deps(), store, created.definition.trigger, created.flow.id, 'email', {
    channel: 'email', subject: 'Hello', html: '<p>Hi {{ profile.firstName }}</p>', text: '', to: 'tester@elsewhere.example',
  });
  assert.ok(result.ok, JSON.stringify(result));
  const after = await rt.db.pool.query('SELECT count(*)::int AS n FROM profiles WHERE store_id = $1', [store.id]);
  assert.equal(after.rows[0].n, before.rows[0].n, 'no profile was made');
  const { rows } = await rt.db.pool.query<{ status: string; profile_id: string | null }>('SELECT status, profile_id FROM messages WHERE id = $1', [result.ok && result.messageId]);
  assert.deepEqual(rows[0], { status: 'queued', profile_id: null });
  const delivery = createMessageDelivery(rt);
  try {
    await delivery.run();
  } finally {
    delivery.close();
  }
  const sent = await rt.db.pool.query<{ status: string; reason: string | null }>('SELECT status, reason FROM messages WHERE id = $1', [result.ok && result.messageId]);
  assert.deepEqual(sent.rows[0], { status: 'sent', reason: null }, 'delivered, not skipped for want of a profile');
});
