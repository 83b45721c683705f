// Wix webhooks end to end: refusals before anything is stored, then each handled event drained
// by the worker into catalog, events and profiles, against the stubbed Wix APIs.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../src/web/app.ts';
import { drainWebhooks } from '../../src/jobs/process-webhooks.ts';
import { installWixSite } from '../helpers/install.ts';
import { isWixConnector, type WixConnector } from '../../connectors/wix/wix-connector.ts';
import type { Store } from '../../src/model/store.ts';
import { testRuntime, type TestRuntime } from '../helpers/db.ts';
import { defaultState, installWixStub, type StubState } from '../fixtures/wix/api-stub.ts';
import * as ev from '../fixtures/wix/events.ts';
import { hs256WithPublicKey, signWixJwt, unsignedJwt, wixEnv, type Envelope } from '../fixtures/wix/sign.ts';

const V3_INSTANCE = '7a1e2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b';

describe('wix webhooks', () => {
  let rt: TestRuntime;
  let app: Express;
  let state: StubState;
  let restore: () => void;
  let store: Store;
  let v3Store: Store;
  let connector: WixConnector;

  before(async () => {
    rt = await testRuntime({ env: wixEnv });
    state = defaultState();
    state.instances.add(V3_INSTANCE);
    restore = installWixStub(state);
    assert.ok(isWixConnector(rt.connectors.wix));
    connector = rt.connectors.wix;
    const deps = { pool: rt.db.pool, secrets: rt.secrets, api: connector.api };
    store = await installWixSite(deps, ev.INSTANCE);
    v3Store = await installWixSite(deps, V3_INSTANCE);
    app = createApp(rt);
  });
  after(async () => {
    restore();
    await rt.dispose();
  });

  const post = (jwt: string) => request(app).post('/webhooks/wix').set('Content-Type', 'text/plain').send(jwt);
  const inboxCount = async () => Number((await rt.db.pool.query('SELECT count(*) FROM webhook_inbox')).rows[0].count);
  const deliver = async (e: Envelope) => {
    const res = await post(signWixJwt(e));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    await drainWebhooks(rt);
  };
  const outcome = async (topic: string) =>
    (await rt.db.pool.query<{ outcome: string }>('SELECT outcome FROM webhook_inbox WHERE topic = $1 ORDER BY id DESC LIMIT 1', [topic])).rows[0]?.outcome;

  test('forged, foreign-key, expired and unknown-instance JWTs are refused with 401 and nothing is stored', async () => {
    const forgeries: Array<[string, string]> = [
      ['signed with another key', signWixJwt(ev.v1ProductChanged, { wrongKey: true })],
      ['alg none', unsignedJwt(ev.v1ProductChanged)],
      ['HS256 keyed with the public key', hs256WithPublicKey(ev.v1ProductChanged)],
      ['expired', signWixJwt(ev.v1ProductChanged, { iat: Math.floor(Date.now() / 1000) - 7200, exp: Math.floor(Date.now() / 1000) - 3600 })],
      ['unknown instance', signWixJwt(ev.envelope(ev.v1ProductChanged.eventType, { productId: ev.V1_PRODUCT }, '00000000-1111-4222-8333-444444444444'))],
      ['not a JWT', 'hello'],
    ];
    for (const [name, jwt] of forgeries) {
      const res = await post(jwt);
      assert.equal(res.status, 401, name);
      assert.match(String(res.headers['content-type']), /application\/problem\+json/, name);
    }
    assert.equal(await inboxCount(), 0);
  });

  test('an event type we do not handle is acknowledged and ignored', async () => {
    const res = await post(signWixJwt(ev.collectionChanged));
    assert.equal(res.status, 200);
    await drainWebhooks(rt);
    assert.match((await outcome(ev.collectionChanged.eventType)) ?? '', /^ignored: unhandled Wix event/);
  });

  test('V1 inventory change: the product is re-read and its quantity is the sum of its tracked variants', async () => {
    await deliver(ev.v1InventoryVariantsChanged);
    const { rows } = await rt.db.pool.query(
      `SELECT p.inventory_tracking, p.inventory_quantity, p.url, count(v.*)::int AS variants
       FROM products p JOIN variants v ON v.store_id = p.store_id AND v.product_id = p.id
       WHERE p.store_id = $1 AND p.external_id = $2 GROUP BY p.store_id, p.id`,
      [store.id, ev.V1_PRODUCT],
    );
    assert.deepEqual(rows[0], { inventory_tracking: 'product', inventory_quantity: 7, url: 'https://shop.example.com/product-page/linen-shirt', variants: 3 });
  });

  test('V3 inventory item change: quantities add up over variants and locations', async () => {
    state.catalogVersion = 'V3_CATALOG';
    try {
      await deliver(ev.envelope(ev.v3InventoryItemUpdated.eventType, ev.v3InventoryItemUpdated.data, V3_INSTANCE));
    } finally {
      state.catalogVersion = 'V1_CATALOG';
    }
    const { rows } = await rt.db.pool.query('SELECT inventory_quantity, url FROM products WHERE store_id = $1 AND external_id = $2', [v3Store.id, ev.V3_PRODUCT]);
    assert.deepEqual(rows[0], { inventory_quantity: 8, url: 'https://shop.example.com/product-page/wool-scarf' });
  });

  test('product deleted (V1) marks the product deleted', async () => {
    await deliver(ev.envelope(ev.v1ProductDeleted.eventType, { productId: ev.V1_PRODUCT }));
    const { rows } = await rt.db.pool.query('SELECT deleted_at FROM products WHERE store_id = $1 AND external_id = $2', [store.id, ev.V1_PRODUCT]);
    assert.ok(rows[0]?.deleted_at);
  });

  test('checkout created → one Started Checkout with items and the checkout URL; its update is the same checkout', async () => {
    await deliver(ev.checkoutCreated);
    await deliver(ev.checkoutUpdated);
    await deliver(ev.anonymousCheckoutCreated);
    const { rows } = await rt.db.pool.query(
      `SELECT e.value::float AS value, e.properties, p.email, (SELECT json_agg(json_build_object('product', i.product_external_id, 'variant', i.variant_external_id, 'quantity', i.quantity, 'price', i.price::float)) FROM event_items i WHERE i.store_id = e.store_id AND i.event_id = e.id) AS items
       FROM events e JOIN profiles p ON p.store_id = e.store_id AND p.id = e.profile_id WHERE e.store_id = $1 AND e.metric = 'Started Checkout'`,
      [store.id],
    );
    assert.equal(rows.length, 1);
    assert.equal(rows[0].email, 'ada@example.com');
    assert.equal(rows[0].value, 118);
    assert.match(rows[0].properties.CheckoutURL, /^https:\/\/shop\.example\.com\/checkout\?/);
    assert.deepEqual(rows[0].items, [{ product: ev.V1_PRODUCT, variant: '00000000-0000-0001-0005-918e4641acb0', quantity: 2, price: 59 }]);
    assert.match((await outcome(ev.anonymousCheckoutCreated.eventType)) ?? '', /ignored: checkout anon-checkout has no buyer/);
  });

  test('order created and approved → one Placed Order and one Ordered Product per line; an unapproved order waits', async () => {
    await deliver(ev.orderCreated);
    await deliver(ev.orderApproved);
    await deliver(ev.pendingOrderCreated);
    const { rows } = await rt.db.pool.query<{ metric: string; n: number }>(
      "SELECT metric, count(*)::int AS n FROM events WHERE store_id = $1 AND metric IN ('Placed Order', 'Ordered Product') GROUP BY metric ORDER BY metric",
      [store.id],
    );
    assert.deepEqual(rows, [{ metric: 'Ordered Product', n: 2 }, { metric: 'Placed Order', n: 1 }]);
    const placed = await rt.db.pool.query("SELECT value::float AS value, properties->>'OrderID' AS order_id FROM events WHERE store_id = $1 AND metric = 'Placed Order'", [store.id]);
    assert.deepEqual(placed.rows[0], { value: 151.9, order_id: ev.ORDER_ID });
    assert.match((await rt.db.pool.query("SELECT outcome FROM webhook_inbox WHERE payload->>'entityId' = 'pending-order'")).rows[0].outcome, /ignored: order pending-order is INITIALIZED/);
  });

  test('contact created then updated → one profile with names, and email consent following Wix', async () => {
    await deliver(ev.contactCreated);
    let p = await rt.db.pool.query('SELECT external_id, email, phone, first_name, last_name, email_consent, sms_consent FROM profiles WHERE store_id = $1 AND email = $2', [store.id, 'ada@example.com']);
    assert.deepEqual(p.rows[0], {
      external_id: 'c0ffee00-0000-4000-8000-000000000001',
      email: 'ada@example.com',
      phone: '+14155550100',
      first_name: 'Ada',
      last_name: 'Lovelace',
      email_consent: 'subscribed',
      sms_consent: 'never_subscribed',
    });
    await deliver(ev.contactUpdated);
    p = await rt.db.pool.query('SELECT count(*)::int AS n, max(email_consent) AS consent FROM profiles WHERE store_id = $1 AND email = $2', [store.id, 'ada@example.com']);
    assert.deepEqual(p.rows[0], { n: 1, consent: 'unsubscribed' });
  });

  test('tokens come from the client-credentials grant once per instance and are dropped by AppRemoved', async () => {
    const grants = () => state.calls.filter((c) => c === 'POST /oauth2/token').length;
    assert.equal(grants(), 2, 'one grant for each of the two instances so far');
    await deliver(ev.appRemoved);
    const { rows } = await rt.db.pool.query('SELECT status, access_token_enc FROM stores WHERE id = $1', [store.id]);
    assert.deepEqual(rows[0], { status: 'uninstalled', access_token_enc: null });
    await connector.api.catalogVersion(ev.INSTANCE);
    assert.equal(grants(), 3, 'after removal the next call needs a fresh grant');
  });
});
