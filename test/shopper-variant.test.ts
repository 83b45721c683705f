// The shopper's own variant: a product-level trigger (BigCommerce and Wix track stock only per
// product) still tells each shopper about the variant their event named.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { createStore } from '../src/stores/create-store.ts';
import { createApp } from '../src/web/app.ts';
import { ingestCatalog } from '../src/ingest/ingest-catalog.ts';
import { ingestEvents } from '../src/ingest/ingest-events.ts';
import { processTriggerQueue } from '../src/flows/enter-flows.ts';
import { runFlowTick } from '../src/flows/tick.ts';
import type { ProductInput } from '../src/model/catalog.ts';
import type { EventInput } from '../src/model/event.ts';
import type { ExternalProductId, ExternalVariantId } from '../src/model/ids.ts';

describe("the shopper's own variant", () => {
  let rt: TestRuntime;
  let app: ReturnType<typeof createApp>;
  const boots = (small: number, medium: number): ProductInput => ({
    externalId: 'boot' as ExternalProductId,
    title: 'Trail Boot',
    url: 'https://bc.example.com/boot',
    imageUrl: null,
    price: 120,
    inventoryTracking: 'variant',
    inventoryQuantity: null,
    variants: [
      { externalId: 'boot-s' as ExternalVariantId, title: 'Size 38', sku: 'TB-38', price: 120, inventoryQuantity: small },
      { externalId: 'boot-m' as ExternalVariantId, title: 'Size 42', sku: 'TB-42', price: 120, inventoryQuantity: medium },
    ],
  });
  const viewed = (email: string, id: string, variant: string | null): EventInput => ({
    metric: 'Viewed Product',
    profile: { email },
    time: new Date(Date.now() - 3_600_000),
    value: null,
    properties: {},
    items: [{ productExternalId: 'boot' as ExternalProductId, variantExternalId: variant as ExternalVariantId | null, quantity: 1, price: 120 }],
    uniqueId: id,
  });

  before(async () => {
    rt = await testRuntime();
    app = createApp(rt);
  });
  after(async () => rt.dispose());

  test('on a product-level low-inventory trigger, two shoppers who viewed different variants each get a message naming their own', async () => {
    const created = await createStore(rt.db.pool, rt.secrets, { platform: 'bigcommerce', domain: 'bc.example.com' });
    const storeId = created.store.id;
    const auth = { Authorization: `Bearer ${created.privateKey}` };
    await ingestCatalog(rt.db.pool, storeId, [boots(5, 5)]);
    await ingestEvents(rt.db.pool, storeId, [
      viewed('small@example.com', 'v-s', 'boot-s'),
      viewed('medium@example.com', 'v-m-old', 'boot-m'),
      // The latest view names no variant: the one named before still tells their size.
      { ...viewed('medium@example.com', 'v-m-new', null), time: new Date(Date.now() - 60_000) },
      viewed('nosize@example.com', 'v-n', null),
    ]);
    const template = { id: 'e', type: 'email', subject: '{{ product.title }}{% if variant %} in {{ variant.title }}{% endif %}', html: '<p>{{ variant.sku }}|{{ variant.inventoryQuantity }}|{{ variant.price }}|{{ variant.url }}</p>' };
    const trigger = { type: 'low-inventory', level: 'product', threshold: 5, metrics: ['Viewed Product'] };
    // One flow enters in a single INSERT … SELECT, the other (once per profile) through per-profile entry.
    const flows: string[] = [];
    for (const reentry of [{ mode: 'always' }, { mode: 'once' }]) {
      const res = await request(app).post('/api/v1/flows').set(auth).send({ name: `Own variant ${reentry.mode}`, status: 'live', trigger, reentry, start: 'e', steps: [template] });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      flows.push(res.body.id);
    }
    await ingestCatalog(rt.db.pool, storeId, [boots(1, 3)]);
    await processTriggerQueue(rt.db.pool, { now: new Date() });
    await runFlowTick({ pool: rt.db.pool, config: rt.config, secrets: rt.secrets, logger: rt.logger }, { now: new Date() });
    for (const flowId of flows) {
      const { rows } = await rt.db.pool.query<{ recipient: string; subject: string; html: string }>(
        'SELECT recipient, subject, html FROM messages WHERE flow_id = $1 ORDER BY recipient', [flowId]);
      assert.deepEqual(rows.map((m) => [m.recipient, m.subject]), [
        ['medium@example.com', 'Trail Boot in Size 42'],
        ['nosize@example.com', 'Trail Boot'],
        ['small@example.com', 'Trail Boot in Size 38'],
      ]);
      assert.match(rows[2]!.html, /TB-38\|1\|120\|https:\/\/bc\.example\.com\/boot</, 'the variant’s own stock and price; no variant link off Shopify');
      assert.match(rows[0]!.html, /TB-42\|3\|/);
    }
  });
  test('a product-level sell-out forecast also names the variant each shopper looked at, on both entry paths', async () => {
    const created = await createStore(rt.db.pool, rt.secrets, { platform: 'bigcommerce', domain: 'cups.example.com' });
    const storeId = created.store.id;
    const auth = { Authorization: `Bearer ${created.privateKey}` };
    const cup = (qty: number): ProductInput => ({
      externalId: 'cup' as ExternalProductId,
      title: 'Cup',
      url: 'https://cups.example.com/cup',
      imageUrl: null,
      price: 12,
      inventoryTracking: 'product',
      inventoryQuantity: qty,
      variants: [
        { externalId: 'cup-red' as ExternalVariantId, title: 'Red', sku: 'C-R', price: 12, inventoryQuantity: null },
        { externalId: 'cup-blue' as ExternalVariantId, title: 'Blue', sku: 'C-B', price: 12, inventoryQuantity: null },
      ],
    });
    const event = (email: string, metric: string, id: string, hoursAgo: number, variant: string | null, quantity = 1): EventInput => ({
      metric,
      profile: { email },
      time: new Date(Date.now() - hoursAgo * 3_600_000),
      value: null,
      properties: {},
      items: [{ productExternalId: 'cup' as ExternalProductId, variantExternalId: variant as ExternalVariantId | null, quantity, price: 12 }],
      uniqueId: id,
    });
    await ingestCatalog(rt.db.pool, storeId, [cup(20)]);
    // 14 sold in the last week (2 a day): 4 left lasts 48 hours.
    await ingestEvents(rt.db.pool, storeId, [
      event('blue@example.com', 'Viewed Product', 'cv-b', 1, 'cup-blue'),
      event('buyer@example.com', 'Ordered Product', 'co-1', 24, null, 7),
      event('buyer@example.com', 'Ordered Product', 'co-2', 72, null, 7),
    ]);
    await processTriggerQueue(rt.db.pool, { now: new Date() });
    const trigger = { type: 'sell-out-forecast', level: 'product', withinHours: 48, metrics: ['Viewed Product'] };
    const step = { id: 'e', type: 'email', subject: '{{ product.title }}{% if variant %} in {{ variant.title }}{% endif %}', html: '<p>{{ variant.sku }}</p>' };
    const flows: string[] = [];
    for (const reentry of [{ mode: 'always' }, { mode: 'once' }]) {
      const res = await request(app).post('/api/v1/flows').set(auth).send({ name: `Forecast ${reentry.mode}`, status: 'live', trigger, reentry, start: 'e', steps: [step] });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      flows.push(res.body.id);
    }
    await ingestCatalog(rt.db.pool, storeId, [cup(4)]);
    await processTriggerQueue(rt.db.pool, { now: new Date() });
    await runFlowTick({ pool: rt.db.pool, config: rt.config, secrets: rt.secrets, logger: rt.logger }, { now: new Date() });
    for (const flowId of flows) {
      const { rows } = await rt.db.pool.query<{ recipient: string; subject: string; html: string }>(
        'SELECT recipient, subject, html FROM messages WHERE flow_id = $1 ORDER BY recipient', [flowId]);
      assert.deepEqual(rows.map((m) => [m.recipient, m.subject, m.html]), [['blue@example.com', 'Cup in Blue', '<p>C-B</p>']]);
    }
  });
});
