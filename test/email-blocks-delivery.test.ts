// An email built from blocks, end to end on Postgres: the flow API stores the blocks, a real
// trigger and tick render them into the outbox (MJML HTML, Liquid per recipient, escaped, prices
// in the store's currency), and a preview as a real profile uses their own event and writes nothing.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { createStore } from '../src/stores/create-store.ts';
import { createApp } from '../src/web/app.ts';
import { ingestEvents } from '../src/ingest/ingest-events.ts';
import { ingestProfiles } from '../src/ingest/ingest-profiles.ts';
import { ingestCatalog } from '../src/ingest/ingest-catalog.ts';
import { processTriggerQueue } from '../src/flows/enter-flows.ts';
import { runFlowTick } from '../src/flows/tick.ts';
import { saveStorePreferences } from '../src/db/repositories/store-preferences.ts';
import { getFlow } from '../src/flows/flow-service.ts';
import { previewTemplate } from '../src/merchant/template-preview.ts';
import { compileBlocks } from '../src/messaging/email-blocks/compile.ts';
import { EmailBlocks } from '../src/messaging/email-blocks/blocks.ts';
import { previewProfileChoices } from '../src/merchant/email-editor.ts';
import type { ExternalProductId, FlowId } from '../src/model/ids.ts';
import type { Store } from '../src/model/store.ts';

const BLOCKS = [
  { type: 'heading', text: 'Hi {{ profile.firstName | default: "there" }}, your cart is waiting' },
  { type: 'text', text: 'We kept these for you.' },
  { type: 'product', source: 'items', limit: 5, buttonLabel: 'See it' },
  { type: 'button', label: 'Back to your cart', href: '{{ event.properties.CheckoutURL }}' },
  { type: 'discount', code: 'COMEBACK10', text: '10% off with this code' },
  { type: 'footer', address: '1 Market St, Springfield' },
];

describe('email blocks through the delivery path', () => {
  let rt: TestRuntime;
  let store: Store;
  let auth: { Authorization: string };
  let app: ReturnType<typeof createApp>;
  const T0 = new Date(Math.floor(Date.now() / 60_000) * 60_000);

  before(async () => {
    rt = await testRuntime();
    const created = await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: 'blocks.example.com' });
    store = created.store;
    auth = { Authorization: `Bearer ${created.privateKey}` };
    app = createApp(rt);
    await saveStorePreferences(rt.db.pool, store.id, { timezone: 'Europe/Berlin', currency: 'EUR' });
    await ingestCatalog(rt.db.pool, store.id, [
      { externalId: 'p1' as ExternalProductId, title: 'Linen Shirt', url: 'https://blocks.example.com/p1', imageUrl: 'https://blocks.example.com/p1.png', price: 59, inventoryTracking: 'product', inventoryQuantity: 10, variants: [] },
      { externalId: 'p2' as ExternalProductId, title: 'Mug <script>alert(1)</script>', url: 'https://blocks.example.com/p2', imageUrl: null, price: 12.5, inventoryTracking: 'product', inventoryQuantity: 10, variants: [] },
    ]);
    await ingestProfiles(rt.db.pool, store.id, [{ email: 'ada@example.com', firstName: 'Ada', consent: { email: 'subscribed' } }]);
  });
  after(async () => rt.dispose());

  test('a live flow renders its blocks into the outbox for the shopper', async () => {
    const res = await request(app).post('/api/v1/flows').set(auth).send({
      name: 'Blocks checkout',
      status: 'live',
      trigger: { type: 'metric', metric: 'Started Checkout' },
      start: 'email',
      // The API takes blocks with any html; the blocks are what is sent.
      steps: [{ id: 'email', type: 'email', subject: 'Still thinking, {{ profile.firstName }}?', html: '<p>placeholder</p>', blocks: BLOCKS }],
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const flowId = res.body.id as FlowId;
    const read = await getFlow(rt.db.pool, store, flowId);
    assert.equal(read!.definition.steps[0]!.type, 'email');
    assert.deepEqual((read!.definition.steps[0] as { blocks?: unknown[] }).blocks?.length, BLOCKS.length, 'blocks read back through the schema');

    await ingestEvents(rt.db.pool, store.id, [{
      metric: 'Started Checkout', profile: { email: 'ada@example.com' }, time: T0, value: 71.5, uniqueId: 'chk-blocks-1',
      properties: { CheckoutURL: 'https://blocks.example.com/checkout/chk-blocks-1' },
      items: [
        { productExternalId: 'p1' as ExternalProductId, variantExternalId: null, quantity: 1, price: 59 },
        { productExternalId: 'p2' as ExternalProductId, variantExternalId: null, quantity: 1, price: 12.5 },
      ],
    }]);
    await processTriggerQueue(rt.db.pool, { now: new Date(T0.getTime() + 1000) });
    await runFlowTick({ pool: rt.db.pool, config: rt.config, secrets: rt.secrets, logger: rt.logger }, { now: new Date(T0.getTime() + 2000) });
    const { rows } = await rt.db.pool.query<{ recipient: string; subject: string; html: string; status: string }>(
      'SELECT recipient, subject, html, status FROM messages WHERE flow_id = $1', [flowId]);
    assert.equal(rows.length, 1);
    const m = rows[0]!;
    assert.equal(m.recipient, 'ada@example.com');
    assert.equal(m.status, 'queued');
    assert.equal(m.subject, 'Still thinking, Ada?');
    assert.doesNotMatch(m.html, /placeholder/, 'sent from the blocks, not the html field');
    assert.match(m.html, /Hi Ada, your cart is waiting/);
    assert.match(m.html, /Linen Shirt/);
    assert.match(m.html, /€59\.00/);
    assert.match(m.html, /Mug &lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.doesNotMatch(m.html, /<script>alert/);
    assert.match(m.html, /€12\.50/);
    assert.match(m.html, /src="https:\/\/blocks\.example\.com\/p1\.png"/);
    assert.match(m.html, /href="https:\/\/blocks\.example\.com\/checkout\/chk-blocks-1"/);
    assert.match(m.html, /COMEBACK10/);
    assert.match(m.html, /1 Market St, Springfield/);
    assert.match(m.html, /href="[^"]*\/u\/[^"]+"[^>]*>Unsubscribe/);
  });

  test('a preview as a real profile uses their latest event, and creates and sends nothing', async () => {
    const count = async () => (await rt.db.pool.query<{ p: string; m: string }>(
      'SELECT (SELECT count(*) FROM profiles WHERE store_id = $1) AS p, (SELECT count(*) FROM messages WHERE store_id = $1) AS m', [store.id])).rows[0]!;
    const before = await count();
    const choices = await previewProfileChoices(rt.db.pool, store, 'ada');
    assert.equal(choices.length, 1);
    assert.match(choices[0]!.label, /Ada · ada@example\.com/);
    const html = await compileBlocks(EmailBlocks.parse(BLOCKS));
    const deps = { pool: rt.db.pool, config: rt.config, secrets: rt.secrets };
    const trigger = { type: 'metric' as const, metric: 'Started Checkout', where: [] };
    const real = await previewTemplate(deps, store, trigger, { channel: 'email', subject: 'Hi {{ profile.firstName }}', html, text: '', profileId: choices[0]!.value });
    assert.equal(real.subject, 'Hi Ada');
    assert.match(real.shopper, /Ada \(ada@example\.com\)/);
    assert.match(real.event ?? '', /Started Checkout/);
    assert.match(real.html, /Mug &lt;script&gt;/, 'their own event’s items');
    assert.match(real.html, /checkout\/chk-blocks-1/);
    const sample = await previewTemplate(deps, store, trigger, { channel: 'email', subject: 'Hi {{ profile.firstName }}', html, text: '', profileId: '00000000-0000-4000-8000-00000000abcd' });
    assert.equal(sample.subject, 'Hi Sam', 'an unknown profile falls back to the sample shopper');
    assert.deepEqual(await count(), before);
  });
});
