// The Shopify web pixel as Shopify runs it: its source evaluated on its own with only the
// sandbox's globals (register, fetch), fed the standard events' documented payloads, posting
// to the real /api/v1/track. What lands in the database is what merchants' flows will see.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import vm from 'node:vm';
import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../src/web/app.ts';
import { createStore } from '../../src/stores/create-store.ts';
import type { StoreId } from '../../src/model/ids.ts';
import { drainWebhooks } from '../../src/jobs/process-webhooks.ts';
import { processTriggerQueue } from '../../src/flows/enter-flows.ts';
import { testRuntime, type TestRuntime } from '../helpers/db.ts';
import { ENV, SHOP, fixture, postDelivery, signedDelivery } from '../fixtures/shopify/kit.ts';

const APP_URL = 'https://storeflow.example.com';
const PIXEL_SOURCE = readFileSync(join(import.meta.dirname, '..', '..', 'connectors', 'shopify', 'pixel', 'src', 'index.js'), 'utf8');
// The Shopify CLI bundles this import away; in the sandbox `register` is what it resolves to.
const IMPORT_LINE = /^import \{ register \} from '@shopify\/web-pixels-extension';$/m;

type Handler = (event: unknown) => unknown;
type Posted = { url: string; init: RequestInit; status: number };

/** A customer as `init.data.customer` carries it (null for a shopper who is not logged in). */
const CUSTOMER = { id: '7123456789012', email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace', phone: null, ordersCount: 2 };

// Payloads in the shape of Shopify's Web Pixels standard events (PixelEvents*Data).
const productViewed = {
  id: 'sh-0a1b2c3d-1111-4f00-9a00-000000000001',
  name: 'product_viewed',
  type: 'standard',
  timestamp: '2026-11-20T15:00:00.000Z',
  clientId: 'client-1',
  data: {
    productVariant: {
      id: '44610569208040',
      title: 'M / Blue',
      sku: 'EX-TS-M-BL',
      untranslatedTitle: 'M / Blue',
      price: { amount: 25, currencyCode: 'USD' },
      image: { src: '//cdn.shopify.com/s/files/1/0604/example-t-shirt.png' },
      product: { id: '8123456789012', title: 'Example T-Shirt', untranslatedTitle: 'Example T-Shirt', vendor: 'Acme', type: 'Shirts', url: '/products/example-t-shirt' },
    },
  },
};

const addedToCart = {
  id: 'sh-0a1b2c3d-2222-4f00-9a00-000000000002',
  name: 'product_added_to_cart',
  type: 'standard',
  timestamp: '2026-11-20T15:01:00.000Z',
  clientId: 'client-1',
  data: {
    cartLine: {
      quantity: 2,
      cost: { totalAmount: { amount: 50, currencyCode: 'USD' } },
      merchandise: {
        id: 'gid://shopify/ProductVariant/44610569208040',
        title: 'M / Blue',
        sku: 'EX-TS-M-BL',
        price: { amount: 25, currencyCode: 'USD' },
        image: { src: '//cdn.shopify.com/s/files/1/0604/example-t-shirt.png' },
        product: { id: 'gid://shopify/Product/8123456789012', title: 'Example T-Shirt', vendor: 'Acme', type: 'Shirts', url: '/products/example-t-shirt' },
      },
    },
  },
};

const checkoutStarted = {
  id: 'sh-0a1b2c3d-3333-4f00-9a00-000000000003',
  name: 'checkout_started',
  type: 'standard',
  timestamp: '2026-11-20T15:02:00.000Z',
  clientId: 'client-2',
  data: {
    checkout: {
      token: 'b1946ac92492d2347c6235b4d2611184',
      email: 'grace@example.com',
      phone: null,
      currencyCode: 'USD',
      totalPrice: { amount: 80.5, currencyCode: 'USD' },
      subtotalPrice: { amount: 75, currencyCode: 'USD' },
      lineItems: [
        {
          id: 'line-1',
          title: 'Example T-Shirt',
          quantity: 2,
          finalLinePrice: { amount: 50, currencyCode: 'USD' },
          variant: {
            id: '44610569208040',
            sku: 'EX-TS-M-BL',
            title: 'M / Blue',
            price: { amount: 25, currencyCode: 'USD' },
            product: { id: '8123456789012', title: 'Example T-Shirt', vendor: 'Acme', type: 'Shirts', url: '/products/example-t-shirt' },
          },
        },
        {
          id: 'line-2',
          title: 'Canvas Tote',
          quantity: 1,
          finalLinePrice: { amount: 25, currencyCode: 'USD' },
          variant: {
            id: '44610569208099',
            sku: 'TOTE',
            title: 'Default Title',
            price: { amount: 25, currencyCode: 'USD' },
            product: { id: '8123456789077', title: 'Canvas Tote', vendor: 'Acme', type: 'Bags', url: '/products/canvas-tote' },
          },
        },
        // A line with no catalog product behind it (a custom item) names nothing to track.
        { id: 'line-3', title: 'Gift wrap', quantity: 1, finalLinePrice: { amount: 5.5, currencyCode: 'USD' }, variant: null },
      ],
    },
  },
};

describe('Shopify web pixel into /api/v1/track', () => {
  let rt: TestRuntime;
  let app: Express;
  let storeId: StoreId;
  let publicKey: string;
  let privateKey: string;

  /** Loads the pixel as the sandbox would; fetch answers from the real express app. */
  function loadPixel(opts: { customer?: typeof CUSTOMER | null; settings?: Record<string, string> } = {}) {
    const handlers = new Map<string, Handler>();
    const posted: Posted[] = [];
    const fetch = async (url: string, init: RequestInit): Promise<{ status: number }> => {
      const target = new URL(url);
      assert.equal(target.origin, APP_URL);
      let req = request(app).post(target.pathname);
      for (const [k, v] of Object.entries((init.headers ?? {}) as Record<string, string>)) req = req.set(k, v);
      const res = await req.send(String(init.body));
      posted.push({ url, init, status: res.status });
      return { status: res.status };
    };
    const api = {
      analytics: { subscribe: (name: string, handler: Handler) => void handlers.set(name, handler) },
      browser: {},
      init: { context: {}, data: { customer: opts.customer === undefined ? CUSTOMER : opts.customer, cart: null, shop: { myshopifyDomain: SHOP } } },
      settings: opts.settings ?? { appUrl: `${APP_URL}/`, publicKey },
    };
    const register = (extend: (a: typeof api) => void) => extend(api);
    assert.match(PIXEL_SOURCE, IMPORT_LINE);
    vm.runInNewContext(PIXEL_SOURCE.replace(IMPORT_LINE, ''), { register, fetch, console }, { filename: 'pixel/src/index.js' });
    /** Delivers one event the way Shopify's analytics bus would, waiting for its post to finish. */
    const emit = async (event: { name: string; [field: string]: unknown }) => {
      const handler = handlers.get(event.name);
      assert.ok(handler, `the pixel subscribes to ${event.name}`);
      await handler(structuredClone(event));
    };
    return { handlers, posted, emit };
  }

  type Stored = {
    metric: string;
    email: string | null;
    external_id: string | null;
    value: string | null;
    unique_id: string;
    properties: Record<string, unknown>;
    items: Array<{ product: string | null; variant: string | null; quantity: number; price: string | null }>;
  };

  async function stored(metric: string): Promise<Stored[]> {
    const { rows } = await rt.db.pool.query<Stored>(
      `SELECT e.metric, p.email, p.external_id, e.value::text AS value, e.unique_id, e.properties,
         COALESCE((SELECT json_agg(json_build_object('product', i.product_external_id, 'variant', i.variant_external_id,
            'quantity', i.quantity, 'price', i.price::text) ORDER BY i.position)
          FROM event_items i WHERE i.store_id = e.store_id AND i.event_id = e.id), '[]'::json) AS items
       FROM events e JOIN profiles p ON p.store_id = e.store_id AND p.id = e.profile_id
       WHERE e.store_id = $1 AND e.metric = $2 ORDER BY e.id`,
      [storeId, metric],
    );
    return rows;
  }

  before(async () => {
    rt = await testRuntime({ env: ENV });
    app = createApp(rt);
    const created = await createStore(rt.db.pool, rt.secrets, { platform: 'shopify', domain: SHOP });
    storeId = created.store.id;
    publicKey = created.publicKey;
    privateKey = created.privateKey;
  });
  after(async () => rt.dispose());

  test('subscribes to exactly the three storefront events', () => {
    const { handlers } = loadPixel();
    assert.deepEqual([...handlers.keys()].sort(), ['checkout_started', 'product_added_to_cart', 'product_viewed']);
  });

  test('product_viewed is a Viewed Product with product, variant and price, on the logged-in customer', async () => {
    const { emit, posted } = loadPixel();
    await emit(productViewed);
    assert.equal(posted.length, 1);
    assert.equal(posted[0]!.url, `${APP_URL}/api/v1/track`);
    assert.equal(posted[0]!.init.keepalive, true);
    assert.match(String((posted[0]!.init.headers as Record<string, string>)['Content-Type']), /^text\/plain/);
    assert.equal(posted[0]!.status, 202);

    // The Shopify customer id leads, as it does for the customers/* webhooks that fill in the
    // profile's email and consent: both land on one profile.
    assert.deepEqual(JSON.parse(String(posted[0]!.init.body)).profile, { externalId: '7123456789012', email: 'ada@example.com', anonymousId: 'client-1' });
    const [viewed, ...more] = await stored('Viewed Product');
    assert.equal(more.length, 0);
    assert.equal(viewed!.external_id, '7123456789012');
    assert.equal(viewed!.value, '25.00');
    assert.equal(viewed!.properties.ProductID, '8123456789012');
    assert.equal(viewed!.properties.VariantID, '44610569208040');
    assert.equal(viewed!.properties.Price, 25);
    assert.deepEqual(viewed!.items, [{ product: '8123456789012', variant: '44610569208040', quantity: 1, price: '25.00' }]);
  });

  test('product_added_to_cart is an Added to Cart with the line quantity, gids reduced to ids', async () => {
    const { emit } = loadPixel();
    await emit(addedToCart);
    const [added, ...more] = await stored('Added to Cart');
    assert.equal(more.length, 0);
    assert.equal(added!.external_id, '7123456789012');
    assert.equal(added!.value, '50.00');
    assert.deepEqual(added!.items, [{ product: '8123456789012', variant: '44610569208040', quantity: 2, price: '25.00' }]);
  });

  test('checkout_started is one Started Checkout with every catalog line as an item, keyed by the checkout email', async () => {
    const { emit, posted } = loadPixel({ customer: null });
    await emit(checkoutStarted);
    // Reloading checkout fires the event again; the checkout token keeps it one event.
    await emit({ ...checkoutStarted, id: 'sh-0a1b2c3d-3333-4f00-9a00-000000000004' });
    assert.deepEqual(posted.map((p) => p.status), [202, 202]);

    const [started, ...more] = await stored('Started Checkout');
    assert.equal(more.length, 0);
    assert.equal(started!.email, 'grace@example.com');
    assert.equal(started!.external_id, null);
    assert.equal(started!.value, '80.50');
    assert.equal(started!.properties.CheckoutToken, 'b1946ac92492d2347c6235b4d2611184');
    assert.deepEqual(started!.items, [
      { product: '8123456789012', variant: '44610569208040', quantity: 2, price: '25.00' },
      { product: '8123456789077', variant: '44610569208099', quantity: 1, price: '25.00' },
    ]);
  });

  test('an anonymous shopper is kept under the browser client id and joined to the person who checks out', async () => {
    const anonymous = { clientId: 'client-anon-1' };
    const { emit, posted } = loadPixel({ customer: null });
    await emit({ ...productViewed, ...anonymous, id: 'anon-view-1' });
    await emit({ ...addedToCart, ...anonymous, id: 'anon-add-1' });
    assert.deepEqual(posted.map((p) => JSON.parse(String(p.init.body)).profile), [{ anonymousId: 'client-anon-1' }, { anonymousId: 'client-anon-1' }]);
    const owners = async () =>
      (await rt.db.pool.query<{ profile_id: string }>(
        "SELECT DISTINCT profile_id FROM profile_identifiers WHERE store_id = $1 AND (value = 'client-anon-1' OR value = 'anon-buyer@example.com')", [storeId])).rows;
    assert.equal((await owners()).length, 1);
    // Typing an email at checkout: the same browser, now with an address.
    await emit({ ...checkoutStarted, ...anonymous, data: { checkout: { ...checkoutStarted.data.checkout, token: 'c0ffee00000000000000000000000anon', email: 'anon-buyer@example.com' } } });
    assert.equal(posted[2]!.status, 202);
    const [person, ...others] = await owners();
    assert.equal(others.length, 0);
    const { rows } = await rt.db.pool.query<{ metric: string }>('SELECT metric FROM events WHERE store_id = $1 AND profile_id = $2 ORDER BY id', [storeId, person!.profile_id]);
    assert.deepEqual(rows.map((r) => r.metric), ['Viewed Product', 'Added to Cart', 'Started Checkout']);
  });

  /** The checkouts/* webhook for the pixel's checkout: same token, the same logged-in customer. */
  async function checkoutWebhook(topic: 'checkouts/create' | 'checkouts/update', token: string, more: Record<string, unknown> = {}) {
    const res = await postDelivery(request(app), signedDelivery(topic, { ...fixture('checkouts-create'), token, ...more }));
    assert.equal(res.status, 200);
    await drainWebhooks(rt);
  }
  const checkoutWithToken = (token: string) => ({ ...checkoutStarted, data: { checkout: { ...checkoutStarted.data.checkout, token } } });
  const startedFor = async (token: string) => (await stored('Started Checkout')).filter((e) => e.unique_id === `shopify:checkout-token:${token}`);

  test('checkout_started then the checkouts webhooks for that checkout: one Started Checkout, the recovery URL filled in', async () => {
    const before = (await stored('Started Checkout')).length;
    const { emit, posted } = loadPixel();
    await emit(checkoutWithToken('c0ffee0000000000000000000000pix1'));
    assert.equal(posted[0]!.status, 202);
    await checkoutWebhook('checkouts/create', 'c0ffee0000000000000000000000pix1');
    // An update with other lines is the same checkout: the event the flows entered on stands.
    await checkoutWebhook('checkouts/update', 'c0ffee0000000000000000000000pix1', {
      updated_at: '2026-11-20T12:30:00-05:00',
      line_items: [{ ...(fixture('checkouts-create').line_items as Array<Record<string, unknown>>)[0], quantity: 5 }],
    });

    assert.equal((await stored('Started Checkout')).length, before + 1);
    const [started] = await startedFor('c0ffee0000000000000000000000pix1');
    assert.equal(started!.external_id, '7123456789012');
    assert.equal(started!.value, '80.50');
    assert.deepEqual(started!.items.map((i) => [i.product, i.quantity]), [['8123456789012', 2], ['8123456789077', 1]]);
    assert.equal(started!.properties.CheckoutURL, fixture('checkouts-create').abandoned_checkout_url);
    assert.equal(started!.properties.CheckoutID, String(fixture('checkouts-create').id));
  });

  test('the checkouts webhook then checkout_started for that checkout: one Started Checkout, as the webhook stored it', async () => {
    const before = (await stored('Started Checkout')).length;
    await checkoutWebhook('checkouts/create', 'c0ffee0000000000000000000000web1');
    const { emit, posted } = loadPixel();
    await emit(checkoutWithToken('c0ffee0000000000000000000000web1'));
    assert.equal(posted[0]!.status, 202);

    assert.equal((await stored('Started Checkout')).length, before + 1);
    const [started] = await startedFor('c0ffee0000000000000000000000web1');
    assert.equal(started!.external_id, '7123456789012');
    assert.deepEqual(started!.items.map((i) => [i.product, i.variant, i.quantity]), [['8123456789012', '44123456789001', 2]]);
    assert.equal(started!.properties.CheckoutURL, fixture('checkouts-create').abandoned_checkout_url);
  });

  test('an abandoned-checkout run that entered on the pixel event gets the recovery URL the webhook brings', async () => {
    await processTriggerQueue(rt.db.pool); // the earlier tests' events start nothing here
    const flow = await request(app).post('/api/v1/flows').set('authorization', `Bearer ${privateKey}`).send({ preset: 'abandoned-checkout', status: 'live' });
    assert.equal(flow.status, 201, JSON.stringify(flow.body));
    const { emit } = loadPixel();
    await emit({ ...checkoutWithToken('c0ffee0000000000000000000000run1'), timestamp: new Date().toISOString() });
    await processTriggerQueue(rt.db.pool);
    const snapshot = async () =>
      (await rt.db.pool.query<{ url: string | null }>("SELECT trigger_event -> 'properties' ->> 'CheckoutURL' AS url FROM flow_runs WHERE flow_id = $1", [flow.body.id])).rows;
    assert.deepEqual(await snapshot(), [{ url: null }]);

    await checkoutWebhook('checkouts/create', 'c0ffee0000000000000000000000run1');
    assert.deepEqual(await snapshot(), [{ url: fixture('checkouts-create').abandoned_checkout_url }]);
  });

  test('a pixel without its settings subscribes to nothing', () => {
    assert.equal(loadPixel({ settings: { appUrl: APP_URL } }).handlers.size, 0);
    assert.equal(loadPixel({ settings: { publicKey: 'pk_x' } }).handlers.size, 0);
  });
});
