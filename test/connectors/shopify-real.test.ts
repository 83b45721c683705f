// Shopify's own documented payloads for every subscribed topic (test/fixtures/shopify/real, see
// SOURCES.md there), signed and posted to POST /webhooks/shopify, drained by the worker and
// checked in the stored rows and in flow entry; then the low-inventory and clock cases that the
// current payload shape (no inventory_management, ids past 2^53) broke.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../src/web/app.ts';
import { createStore } from '../../src/stores/create-store.ts';
import { findStoreById, saveInstallation } from '../../src/db/repositories/stores.ts';
import { findProductByExternalId } from '../../src/db/repositories/catalog.ts';
import { findPersonalDataExport } from '../../src/db/repositories/personal-data.ts';
import { ingestEvents } from '../../src/ingest/ingest-events.ts';
import { ingestProfiles } from '../../src/ingest/ingest-profiles.ts';
import { processTriggerQueue } from '../../src/flows/enter-flows.ts';
import { drainWebhooks } from '../../src/jobs/process-webhooks.ts';
import type { ExternalProductId } from '../../src/model/ids.ts';
import type { Store } from '../../src/model/store.ts';
import { testRuntime, type TestRuntime } from '../helpers/db.ts';
import { ENV, SHOP, postDelivery, productNode, realFile, realFixture, signedDelivery, startAdminStub, type AdminStub } from '../fixtures/shopify/kit.ts';
import { API_VERSION, SUBSCRIBED_TOPICS, COMPLIANCE_TOPICS } from '../../connectors/shopify/shopify-api.ts';

const REAL = join(import.meta.dirname, '../fixtures/shopify/real');

const PRODUCT = '788032119674292922';
const SMALL = '642667041472713922';
const MEDIUM = '757650484644203962';
const ITEM = 'gid://shopify/InventoryItem/271878346596884015';

/** What the Admin API says about the sample product: Small is tracked, Medium is not. */
type Stock = { small: number; medium: number; updatedAt: string };

function answerReadbacks(stub: AdminStub, stock: () => Stock) {
  stub.graphql.set('StoreflowInventoryItems', (body) => ({
    nodes: (body.variables?.ids as string[]).map((id) => {
      const s = stock();
      const node = {
        ...productNode(PRODUCT, [
          { id: SMALL, qty: s.small, tracked: true, price: '19.99' },
          { id: MEDIUM, qty: s.medium, tracked: false, price: '19.99' },
        ]),
        title: 'Example T-Shirt',
        handle: 'example-t-shirt',
        updatedAt: s.updatedAt,
      };
      if (id === `gid://shopify/Product/${PRODUCT}`) return { id, ...node };
      if (id === ITEM) return { id, variant: { product: node } };
      return null;
    }),
  }));
}

/** A runtime with an installed shop and the Admin API stub answering read-backs from `stock`. */
async function installedShop(token: string, stock: () => Stock) {
  const stub = await startAdminStub();
  answerReadbacks(stub, stock);
  const rt = await testRuntime({ env: ENV });
  const created = await createStore(rt.db.pool, rt.secrets, { platform: 'shopify', domain: SHOP });
  const store = await saveInstallation(rt.db.pool, created.store.id, { accessTokenSealed: rt.secrets.seal(token), scopes: [] });
  return { stub, rt, app: createApp(rt), store, privateKey: created.privateKey };
}

describe('Shopify documented payloads end to end', () => {
  let rt: TestRuntime;
  let app: Express;
  let store: Store;
  let stub: AdminStub;
  let privateKey: string;
  const stock: Stock = { small: 75, medium: 50, updatedAt: '2021-12-31T19:00:00-05:00' };
  const q = async <T = Record<string, unknown>>(sql: string, params: unknown[] = []) => (await rt.db.pool.query(sql, params)).rows as T[];
  const send = (topic: string, body: string, opts: Parameters<typeof signedDelivery>[2] = {}) => postDelivery(request(app), signedDelivery(topic, body, opts));

  before(async () => {
    ({ stub, rt, app, store, privateKey } = await installedShop('shpat_real', () => stock));
  });
  after(async () => {
    await rt.dispose();
    await stub.close();
  });

  test('one API version: the app configuration and the samples name the pinned one', () => {
    const toml = readFileSync(join(import.meta.dirname, '../../connectors/shopify/shopify.app.toml.example'), 'utf8');
    assert.equal(/^api_version = "([^"]+)"$/m.exec(toml)?.[1], API_VERSION);
    assert.match(readFileSync(join(REAL, 'SOURCES.md'), 'utf8'), new RegExp(`webhooks/${API_VERSION}`));
  });

  test('there is a documented sample for every subscribed topic', () => {
    const files = readdirSync(REAL).filter((f) => f.endsWith('.json')).sort();
    assert.deepEqual(files, [...SUBSCRIBED_TOPICS, ...COMPLIANCE_TOPICS].map(realFile).sort());
    const sources = readFileSync(join(REAL, 'SOURCES.md'), 'utf8');
    for (const f of files) assert.match(sources, new RegExp(`\`${f}\``), `${f} has its source noted`);
  });

  test('catalog samples with ids past 2^53 are accepted and stored exact; tracking comes from the inventory item', async () => {
    for (const topic of ['products/create', 'products/update', 'inventory_levels/update']) {
      const res = await send(topic, realFixture(topic));
      assert.deepEqual([res.status, res.body.status], [200, 'queued'], `${topic}: ${JSON.stringify(res.body)}`);
    }
    await drainWebhooks(rt);
    const failed = await q("SELECT topic, last_error FROM webhook_inbox WHERE outcome = 'failed' OR processed_at IS NULL");
    assert.deepEqual(failed, []);
    const product = await findProductByExternalId(rt.db.pool, store.id, PRODUCT);
    assert.equal(product?.externalId, PRODUCT);
    assert.equal(product?.title, 'Example T-Shirt');
    assert.deepEqual(product?.variants.map((v) => [v.externalId, v.inventoryQuantity]), [[SMALL, 75], [MEDIUM, null]]);
    assert.equal(product?.inventoryQuantity, 75, "the untracked variant's 50 is not counted");
    assert.deepEqual(await q('SELECT external_id, inventory_tracked FROM variants WHERE store_id = $1 ORDER BY external_id', [store.id]), [
      { external_id: SMALL, inventory_tracked: true },
      { external_id: MEDIUM, inventory_tracked: false },
    ]);
    // products/create named variants never read: the product was read back by its own gid.
    const asked = stub.calls.flatMap((c) => (c.body.variables?.ids as string[] | undefined) ?? []);
    assert.ok(asked.includes(`gid://shopify/Product/${PRODUCT}`), asked.join(', '));
    assert.ok(asked.includes(ITEM), asked.join(', '));
  });

  test('checkout, order and customer samples are stored with exact ids and enter flows', async () => {
    const auth = { Authorization: `Bearer ${privateKey}` };
    const flow = await request(app).post('/api/v1/flows').set(auth).send({ preset: 'abandoned-checkout', status: 'live' });
    assert.equal(flow.status, 201, JSON.stringify(flow.body));
    for (const topic of ['customers/create', 'customers/update', 'checkouts/create', 'checkouts/update', 'orders/create']) {
      const res = await send(topic, realFixture(topic));
      assert.deepEqual([res.status, res.body.status], [200, 'queued'], `${topic}: ${JSON.stringify(res.body)}`);
    }
    await drainWebhooks(rt);
    assert.deepEqual(await q("SELECT topic, last_error FROM webhook_inbox WHERE outcome = 'failed' OR processed_at IS NULL"), []);

    const profiles = await q<{ external_id: string; email: string }>('SELECT external_id, email FROM profiles WHERE store_id = $1 ORDER BY email, external_id', [store.id]);
    const ids = profiles.map((p) => p.external_id);
    for (const id of ['706405506930370084', '603851970716743426', '115310627314723954']) assert.ok(ids.includes(id), `profile ${id} in ${ids.join(', ')}`);

    const events = await q<{ metric: string; unique_id: string; properties: Record<string, unknown> }>(
      'SELECT metric, unique_id, properties FROM events WHERE store_id = $1 ORDER BY id', [store.id],
    );
    const started = events.filter((e) => e.metric === 'Started Checkout');
    assert.equal(started.length, 1, 'create and update are one Started Checkout');
    assert.equal(started[0]!.properties.CheckoutID, '981820079255243537');
    const placed = events.find((e) => e.metric === 'Placed Order');
    assert.equal(placed?.properties.OrderID, '820982911946154508');
    assert.deepEqual(events.filter((e) => e.metric === 'Ordered Product').map((e) => e.unique_id), [
      'shopify:order:820982911946154508:line:487817672276298554',
      'shopify:order:820982911946154508:line:976318377106520349',
      'shopify:order:820982911946154508:line:315789986012684393',
    ]);
    const items = await q<{ product_external_id: string }>(
      "SELECT DISTINCT i.product_external_id FROM event_items i JOIN events e ON e.id = i.event_id WHERE e.store_id = $1 AND e.metric = 'Placed Order'", [store.id],
    );
    assert.deepEqual(items.map((i) => i.product_external_id), [PRODUCT]);

    // The samples are dated 2021: flow entry is judged as of then.
    await processTriggerQueue(rt.db.pool, { now: new Date('2022-01-01T00:00:00Z') });
    const runs = await q<{ external_id: string }>(
      'SELECT p.external_id FROM flow_runs r JOIN profiles p ON p.id = r.profile_id WHERE r.flow_id = $1', [flow.body.id],
    );
    assert.deepEqual(runs.map((r) => r.external_id), ['603851970716743426']);
  });

  test('products/delete, privacy and uninstall samples are accepted and applied', async () => {
    for (const topic of ['products/delete', 'customers/data_request', 'customers/redact', 'shop/redact']) {
      const res = await send(topic, realFixture(topic));
      assert.deepEqual([res.status, res.body.status], [200, 'queued'], `${topic}: ${JSON.stringify(res.body)}`);
    }
    await drainWebhooks(rt);
    assert.equal((await q('SELECT id FROM products WHERE store_id = $1 AND deleted_at IS NULL', [store.id])).length, 0);
    const [exported] = await q<{ outcome: string }>("SELECT outcome FROM webhook_inbox WHERE topic = 'customers/data_request'");
    assert.match(exported!.outcome, /^export: /);
    // customers/redact of the same person came after and erased the export with the rest.
    assert.equal(await findPersonalDataExport(rt.db.pool, store.id, 'shopify:9999'), undefined);
    assert.deepEqual(await q('SELECT email FROM profiles WHERE store_id = $1 AND email IS NOT NULL', [store.id]), []);
    const res = await send('app/uninstalled', realFixture('app/uninstalled'), { triggeredAt: new Date().toISOString() });
    assert.deepEqual([res.status, res.body.status], [200, 'queued']);
    await drainWebhooks(rt);
    assert.equal((await findStoreById(rt.db.pool, store.id))?.status, 'uninstalled');
    assert.deepEqual(await q("SELECT topic, last_error FROM webhook_inbox WHERE outcome = 'failed' OR processed_at IS NULL"), []);
  });
});

describe('Shopify low inventory and ordering with current-version product payloads', () => {
  let rt: TestRuntime;
  let app: Express;
  let store: Store;
  let stub: AdminStub;
  let stock: Stock = { small: 3, medium: 77, updatedAt: '2026-11-20T10:01:00Z' };
  const q = async <T = Record<string, unknown>>(sql: string, params: unknown[] = []) => (await rt.db.pool.query(sql, params)).rows as T[];
  /** The documented products/update sample with these quantities and time, as Shopify now sends it. */
  const productUpdate = (small: number, medium: number, updatedAt: string) =>
    realFixture('products/update')
      .replace('"inventory_quantity": 75', `"inventory_quantity": ${small}`)
      .replace('"inventory_quantity": 50', `"inventory_quantity": ${medium}`)
      .replace('"updated_at": "2021-12-31T19:00:00-05:00",\n  "vendor"', `"updated_at": "${updatedAt}",\n  "vendor"`);
  const deliver = async (topic: string, body: string) => {
    const res = await postDelivery(request(app), signedDelivery(topic, body));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    await drainWebhooks(rt);
    await processTriggerQueue(rt.db.pool, { now: new Date() });
  };
  const total = async () => (await findProductByExternalId(rt.db.pool, store.id, PRODUCT))?.inventoryQuantity;

  before(async () => {
    let privateKey: string;
    ({ stub, rt, app, store, privateKey } = await installedShop('shpat_low', () => stock));
    const auth = { Authorization: `Bearer ${privateKey}` };
    const flow = await request(app).post('/api/v1/flows').set(auth).send({
      preset: 'low-inventory',
      status: 'live',
      trigger: { type: 'low-inventory', level: 'product', threshold: 4, metrics: ['Viewed Product'], lookbackDays: 30, excludePurchasedWithinDays: 7 },
    });
    assert.equal(flow.status, 201, JSON.stringify(flow.body));
    await ingestProfiles(rt.db.pool, store.id, [{ email: 'shopper@example.com', consent: { email: 'subscribed' } }]);
    await ingestEvents(rt.db.pool, store.id, [
      {
        metric: 'Viewed Product',
        profile: { email: 'shopper@example.com' },
        time: new Date(Date.now() - 3_600_000),
        value: 19.99,
        properties: {},
        items: [{ productExternalId: PRODUCT as ExternalProductId, variantExternalId: null, quantity: 1, price: 19.99 }],
        uniqueId: 'viewed-1',
      },
    ]);
  });
  after(async () => {
    await rt.dispose();
    await stub.close();
  });

  test('80 → 3 → 5 → 3 with stock unchanged: untracked stock is not counted and the shopper gets at most one run', async () => {
    // Before: products/update summed every numeric inventory_quantity (3 + 77 = 80), the
    // read-back said 3 (a fall), the next products/update 3 + 2 = 5 (re-armed), the read-back 3.
    await deliver('products/update', productUpdate(3, 77, '2026-11-20T10:00:00Z'));
    assert.equal(await total(), 3);
    await deliver('inventory_levels/update', realFixture('inventory_levels/update'));
    assert.equal(await total(), 3);
    stock = { small: 3, medium: 2, updatedAt: '2026-11-20T10:03:00Z' };
    await deliver('products/update', productUpdate(3, 2, '2026-11-20T10:02:00Z'));
    assert.equal(await total(), 3);
    await deliver('inventory_levels/update', realFixture('inventory_levels/update'));
    assert.equal(await total(), 3);
    const runs = await q<{ email: string }>('SELECT p.email FROM flow_runs r JOIN profiles p ON p.id = r.profile_id WHERE r.store_id = $1', [store.id]);
    assert.ok(runs.length <= 1, `runs: ${JSON.stringify(runs)}`);
    const observed = await q<{ old_quantity: number | null; new_quantity: number | null }>(
      "SELECT old_quantity, new_quantity FROM inventory_observations WHERE store_id = $1 AND level = 'product' ORDER BY id", [store.id],
    );
    assert.deepEqual(observed, [{ old_quantity: null, new_quantity: 3 }]);
  });

  test("a read-back older than the stored webhook's updated_at does not overwrite it; a newer one does", async () => {
    await deliver('products/update', productUpdate(8, 2, '2026-11-20T12:00:00Z'));
    assert.equal(await total(), 8);
    stock = { small: 6, medium: 2, updatedAt: '2026-11-20T11:59:00Z' };
    await deliver('inventory_levels/update', realFixture('inventory_levels/update'));
    assert.equal(await total(), 8, 'the older read-back was ignored');
    stock = { small: 6, medium: 2, updatedAt: '2026-11-20T12:01:00Z' };
    await deliver('inventory_levels/update', realFixture('inventory_levels/update'));
    assert.equal(await total(), 6, 'the newer read-back applied');
    const [row] = await q<{ source_updated_at: Date }>('SELECT source_updated_at FROM products WHERE store_id = $1', [store.id]);
    assert.equal(row!.source_updated_at.toISOString(), '2026-11-20T12:01:00.000Z', "ordered by Shopify's updatedAt, not our fetch time");
  });
});
