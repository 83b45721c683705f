// POST /webhooks/shopify through the real express app and the worker drain: refusals store
// nothing, duplicates are stored once, and each topic lands in the common model as merchants expect.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../src/web/app.ts';
import { createStore } from '../../src/stores/create-store.ts';
import { findStoreById, readSealedAccessToken, saveInstallation } from '../../src/db/repositories/stores.ts';
import { findProductByExternalId } from '../../src/db/repositories/catalog.ts';
import { findPersonalDataExport } from '../../src/db/repositories/personal-data.ts';
import { drainWebhooks } from '../../src/jobs/process-webhooks.ts';
import type { Store } from '../../src/model/store.ts';
import { testRuntime, type TestRuntime } from '../helpers/db.ts';
import { ENV, SHOP, fixture, postDelivery, signedDelivery } from '../fixtures/shopify/kit.ts';

describe('Shopify webhooks end to end', () => {
  let rt: TestRuntime;
  let app: Express;
  let store: Store;
  const q = async <T = Record<string, unknown>>(sql: string, params: unknown[] = []) => (await rt.db.pool.query(sql, params)).rows as T[];
  const inboxCount = async () => Number((await q<{ n: string }>('SELECT count(*) AS n FROM webhook_inbox'))[0]!.n);
  const send = (topic: string, body: unknown, opts: Parameters<typeof signedDelivery>[2] = {}) => postDelivery(request(app), signedDelivery(topic, body, opts));
  const events = (metric: string) =>
    q<{ id: number; value: number; properties: Record<string, unknown> }>('SELECT id, value, properties FROM events WHERE store_id = $1 AND metric = $2 ORDER BY id', [store.id, metric]);

  before(async () => {
    rt = await testRuntime({ env: ENV });
    app = createApp(rt);
    const created = await createStore(rt.db.pool, rt.secrets, { platform: 'shopify', domain: SHOP });
    store = await saveInstallation(rt.db.pool, created.store.id, { accessTokenSealed: rt.secrets.seal('shpat_test'), scopes: [] });
  });
  after(async () => rt.dispose());

  test('a missing or wrong HMAC is 401 and stores nothing', async () => {
    const good = signedDelivery('products/update', fixture('products-update'));
    const { 'x-shopify-hmac-sha256': _h, ...unsigned } = good.headers as Record<string, string>;
    const missing = await postDelivery(request(app), { headers: unsigned, rawBody: good.rawBody });
    assert.equal(missing.status, 401);
    assert.match(missing.headers['content-type'] ?? '', /application\/problem\+json/);
    const wrong = await send('products/update', fixture('products-update'), { secret: 'not-the-app-secret' });
    assert.equal(wrong.status, 401);
    const compliance = await send('customers/redact', fixture('customers-redact'), { secret: 'not-the-app-secret' });
    assert.equal(compliance.status, 401);
    assert.equal(await inboxCount(), 0);
  });

  test('a valid HMAC over bytes that are not JSON is 400 and stores nothing; an unexpected shape is acknowledged and parked', async () => {
    const bad = await send('products/update', '{"id": 1, "title": ');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.type, 'https://storeflow.dev/problems/webhook-malformed');
    assert.equal(await inboxCount(), 0);
    // Signed by Shopify: a 4xx would only make it retry and in the end drop the subscription.
    const shape = await send('products/update', { ...fixture('products-update'), variants: 'none' });
    assert.deepEqual([shape.status, shape.body.status], [200, 'queued']);
    await drainWebhooks(rt);
    const [row] = await q<{ outcome: string; last_error: string }>('SELECT outcome, last_error FROM webhook_inbox');
    assert.equal(row?.outcome, 'parked');
    assert.match(row!.last_error, /variants/);
    await q('DELETE FROM webhook_inbox');
  });

  test('an unknown shop is 401 and stores nothing', async () => {
    const res = await send('products/update', fixture('products-update'), { shop: 'someone-else.myshopify.com' });
    assert.equal(res.status, 401);
    assert.equal(await inboxCount(), 0);
  });

  test('an unknown topic is acknowledged and ignored', async () => {
    const res = await send('collections/create', { id: 1, title: 'Summer' });
    assert.equal(res.status, 200);
    await drainWebhooks(rt);
    const [row] = await q<{ outcome: string }>("SELECT outcome FROM webhook_inbox WHERE topic = 'collections/create'");
    assert.match(row!.outcome, /^ignored/);
  });

  test('products/update stores variants summed; a retry is a duplicate; an older update is ignored', async () => {
    const first = await send('products/update', fixture('products-update'), { eventId: 'evt-product-1' });
    assert.deepEqual([first.status, first.body.status], [200, 'queued']);
    // Shopify retries with the same event id and a new webhook id.
    const retry = await send('products/update', fixture('products-update'), { eventId: 'evt-product-1' });
    assert.deepEqual([retry.status, retry.body.status], [200, 'duplicate']);
    await drainWebhooks(rt);
    let product = await findProductByExternalId(rt.db.pool, store.id, '8123456789012');
    assert.equal(product?.inventoryTracking, 'variant');
    assert.equal(product?.inventoryQuantity, 79);
    assert.equal(product?.url, `https://${SHOP}/products/example-t-shirt`);

    const older = fixture('products-update') as { updated_at: string; variants: Array<{ inventory_quantity: number }> };
    older.updated_at = '2026-11-19T10:00:00-05:00';
    older.variants[0]!.inventory_quantity = 1;
    assert.equal((await send('products/update', older, { eventId: 'evt-product-0' })).status, 200);
    await drainWebhooks(rt);
    product = await findProductByExternalId(rt.db.pool, store.id, '8123456789012');
    assert.equal(product?.inventoryQuantity, 79, 'the older update did not roll stock back');
  });

  test('the un-prefixed header spelling is accepted, deduped on the webhook id when no event id is sent', async () => {
    const d = signedDelivery('customers/create', fixture('customers-create'), { unprefixed: true });
    assert.equal((await postDelivery(request(app), d)).body.status, 'queued');
    assert.equal((await postDelivery(request(app), d)).body.status, 'duplicate');
  });

  test('customers become profiles with their marketing consent', async () => {
    await drainWebhooks(rt);
    const [p] = await q('SELECT email, phone, external_id, first_name, email_consent, sms_consent, properties FROM profiles WHERE store_id = $1', [store.id]);
    assert.deepEqual(p, {
      email: 'ada@example.com',
      phone: '+16135550142',
      external_id: '7123456789012',
      first_name: 'Ada',
      email_consent: 'subscribed',
      sms_consent: 'never_subscribed',
      properties: { ShopifyTags: ['VIP', 'newsletter'] },
    });
  });

  test('checkouts become one Started Checkout with items and the recovery URL', async () => {
    await send('checkouts/create', fixture('checkouts-create'));
    await send('checkouts/update', { ...fixture('checkouts-create'), updated_at: '2026-11-20T12:05:00-05:00' });
    await drainWebhooks(rt);
    const started = await events('Started Checkout');
    assert.equal(started.length, 1);
    assert.equal(started[0]!.value, 43.97);
    assert.equal(started[0]!.properties.CheckoutURL, fixture('checkouts-create').abandoned_checkout_url);
    const items = await q('SELECT product_external_id, variant_external_id, quantity, price FROM event_items WHERE store_id = $1 AND event_id = $2', [store.id, started[0]!.id]);
    assert.deepEqual(items, [{ product_external_id: '8123456789012', variant_external_id: '44123456789001', quantity: 2, price: 19.99 }]);
  });

  test('orders/create is one Placed Order and one Ordered Product per line', async () => {
    await send('orders/create', fixture('orders-create'));
    await drainWebhooks(rt);
    const placed = await events('Placed Order');
    assert.equal(placed.length, 1);
    assert.equal(placed[0]!.value, 64.97);
    assert.deepEqual(placed[0]!.properties.DiscountCodes, ['WELCOME10']);
    const ordered = await events('Ordered Product');
    assert.deepEqual(ordered.map((e) => [e.properties.VariantID, e.properties.Quantity, e.value]), [
      ['44123456789001', 2, 39.98],
      ['44123456789002', 1, 19.99],
    ]);
  });

  test('customers/data_request keeps an export of what we hold for the merchant', async () => {
    await send('customers/data_request', fixture('customers-data-request'));
    await drainWebhooks(rt);
    const data = (await findPersonalDataExport(rt.db.pool, store.id, 'shopify:9999')) as { profiles: unknown[]; events: Array<{ metric: string }> };
    assert.equal(data.profiles.length, 1);
    assert.deepEqual(data.events.map((e) => e.metric).sort(), ['Ordered Product', 'Ordered Product', 'Placed Order', 'Started Checkout']);
  });

  test('customers/redact erases the person: profile emptied, events, export and raw payloads gone', async () => {
    await send('customers/redact', fixture('customers-redact'));
    await drainWebhooks(rt);
    const [p] = await q('SELECT email, phone, external_id, first_name, last_name, properties FROM profiles WHERE store_id = $1', [store.id]);
    assert.deepEqual(p, { email: null, phone: null, external_id: null, first_name: null, last_name: null, properties: {} });
    assert.equal((await q('SELECT id FROM events WHERE store_id = $1', [store.id])).length, 0);
    assert.equal(await findPersonalDataExport(rt.db.pool, store.id, 'shopify:9999'), undefined);
    const mentions = await q("SELECT id FROM webhook_inbox WHERE payload::text ILIKE '%ada@example.com%' OR payload::text LIKE '%Lovelace%'");
    assert.equal(mentions.length, 0);
  });

  test('app/uninstalled wipes the token and marks the store; later topics are refused, the privacy topics still accepted', async () => {
    await send('customers/create', { ...fixture('customers-create'), id: 7123456789099, email: 'grace@example.com', phone: null });
    await drainWebhooks(rt);
    // Triggered after the install: an older uninstall would be a stale retry and change nothing.
    await send('app/uninstalled', fixture('app-uninstalled'), { triggeredAt: new Date().toISOString() });
    await drainWebhooks(rt);
    assert.equal((await findStoreById(rt.db.pool, store.id))?.status, 'uninstalled');
    assert.equal(await readSealedAccessToken(rt.db.pool, store.id), null);

    const before = await inboxCount();
    const late = await send('products/update', { ...fixture('products-update'), title: 'After uninstall', updated_at: '2026-11-25T10:00:00-05:00' });
    assert.equal(late.status, 404);
    assert.equal(late.body.type, 'https://storeflow.dev/problems/uninstalled-shop');
    const others: Array<[string, string]> = [
      ['orders/create', 'orders-create'],
      ['customers/update', 'customers-create'],
      ['inventory_levels/update', 'inventory-levels-update'],
      ['app/uninstalled', 'app-uninstalled'],
    ];
    for (const [topic, name] of others) assert.equal((await send(topic, fixture(name))).status, 404, topic);
    assert.equal(await inboxCount(), before, 'nothing of the uninstalled shop was queued');

    const exportRequest = await send('customers/data_request', { ...fixture('customers-data-request'), data_request: { id: 10001 } });
    assert.deepEqual([exportRequest.status, exportRequest.body.status], [200, 'queued']);
    const redact = await send('customers/redact', fixture('customers-redact'));
    assert.deepEqual([redact.status, redact.body.status], [200, 'queued']);
    const shopRedact = await send('shop/redact', fixture('shop-redact'));
    assert.deepEqual([shopRedact.status, shopRedact.body.status], [200, 'queued']);
    assert.equal(await inboxCount(), before + 3);
    await drainWebhooks(rt);
    const product = await findProductByExternalId(rt.db.pool, store.id, '8123456789012');
    assert.equal(product?.title, 'Example T-Shirt');
    assert.deepEqual(await q("SELECT email FROM profiles WHERE store_id = $1 AND email IS NOT NULL", [store.id]), []);
    assert.deepEqual(await q("SELECT id FROM webhook_inbox WHERE payload::text LIKE '%@%'"), []);
  });
});
