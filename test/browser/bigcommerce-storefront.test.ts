// The BigCommerce storefront script in headless Chromium (Debian's package). A local "store"
// serves Stencil-shaped product and checkout pages on one origin and answers checkout-sdk's
// Storefront API requests with their documented shapes; the app serves the built script on
// another origin and stores what it posts, as it would across a real store's domain.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createApp } from '../../src/web/app.ts';
import { createStore } from '../../src/stores/create-store.ts';
import { listEvents } from '../../src/db/repositories/events.ts';
import type { StoredEvent } from '../../src/model/event.ts';
import type { StoreId } from '../../src/model/ids.ts';
import { buildStorefront } from '../../connectors/bigcommerce/storefront/build.ts';
import { testRuntime, type TestRuntime } from '../helpers/db.ts';
import { skipUnless } from '../helpers/prerequisite.ts';
import { checkoutSettings, formFields, storefrontCheckout } from '../fixtures/bigcommerce/storefront-api.ts';

const CHROMIUM = '/usr/bin/chromium';
const skip = skipUnless('Chromium', !existsSync(CHROMIUM) && `${CHROMIUM} is not installed (apt-get install chromium)`);

const listen = (server: Server): Promise<string> =>
  new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
const close = (server: Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

/** Waits for the app to have stored what the page sent; a beacon lands after the page moved on. */
async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const escapeAttr = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const SHOP_HOST = 'linen-and-co.example.com';

describe('BigCommerce storefront script in Chromium', { skip, timeout: 180_000 }, () => {
  let rt: TestRuntime;
  let storeId: StoreId;
  let publicKey: string;
  let appServer: Server;
  let shopServer: Server;
  let appUrl: string;
  let shopUrl: string;
  let profileDir: string;
  let context: BrowserContext;
  let page: Page;
  const storefrontRequests: string[] = [];

  const scriptTag = () => `<script async src="${escapeAttr(`${appUrl}/bigcommerce/storefront.js?key=${encodeURIComponent(publicKey)}`)}"></script>`;

  // Markup as Cornerstone's product-view.html renders it: the product view's data-entity-id and
  // data-product-price, and the add-to-cart form's product_id.
  const productPage = () => `<!doctype html><html><head><title>Linen shirt</title></head><body>
<div class="productView" data-event-type="product" data-entity-id="112" data-name="Linen shirt" data-product-category="Shirts" data-product-brand="Linen &amp; Co" data-product-price="
        49.9" data-product-variant="single-product-option">
  <h1 class="productView-title">Linen shirt</h1>
  <form class="form" method="post" action="/cart.php" enctype="multipart/form-data" data-cart-item-add>
    <input type="hidden" name="action" value="add"><input type="hidden" name="product_id" value="112"/>
  </form>
</div>
${scriptTag()}</body></html>`;

  // The optimized checkout page: BigCommerce sets window.checkoutConfig before its scripts.
  const checkoutPage = (checkoutId: string) => `<!doctype html><html><head><title>Checkout</title>
<script>window.checkoutConfig = ${JSON.stringify({ containerId: 'checkout-app', checkoutId })};</script></head><body>
<div id="checkout-app"><form><label for="email">Email</label><input id="email" type="email" name="email"><button type="button">Continue</button></form></div>
${scriptTag()}</body></html>`;

  const events = (metric: string): Promise<StoredEvent[]> => listEvents(rt.db.pool, storeId, { metric, limit: 100 });

  before(async () => {
    await buildStorefront();
    rt = await testRuntime();
    const created = await createStore(rt.db.pool, rt.secrets, { platform: 'bigcommerce', domain: SHOP_HOST });
    storeId = created.store.id;
    publicKey = created.publicKey;
    appServer = createServer(createApp(rt));
    appUrl = await listen(appServer);

    shopServer = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://shop');
      const json = (body: unknown) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (url.pathname.startsWith('/api/storefront/')) storefrontRequests.push(`${req.method} ${url.pathname}`);
      if (url.pathname === '/products/linen-shirt/') return void res.writeHead(200, { 'Content-Type': 'text/html' }).end(productPage());
      let m = /^\/checkout\/([\w-]+)$/.exec(url.pathname);
      if (m) return void res.writeHead(200, { 'Content-Type': 'text/html' }).end(checkoutPage(m[1]!));
      if (url.pathname === '/api/storefront/checkout-settings') return json(checkoutSettings(url.searchParams.get('checkoutId')));
      if (url.pathname === '/api/storefront/form-fields') return json(formFields());
      m = /^\/api\/storefront\/checkout\/([\w-]+)$/.exec(url.pathname);
      if (m) {
        const checkout = storefrontCheckout(m[1]!);
        if (checkout) return json(checkout);
      }
      res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ status: 404, title: 'Not found' }));
    });
    // The storefront is served on the store's own domain (mapped to loopback inside Chromium), so
    // links the script reports, such as CheckoutURL, count as the store's and are kept.
    shopUrl = (await listen(shopServer)).replace('127.0.0.1', SHOP_HOST);

    profileDir = await mkdtemp(join(tmpdir(), 'storeflow-chromium-'));
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [`--host-resolver-rules=MAP ${SHOP_HOST} 127.0.0.1`, '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
    });
    page = context.pages()[0] ?? (await context.newPage());
  });

  after(async () => {
    await context?.close();
    if (shopServer) await close(shopServer);
    if (appServer) await close(appServer);
    await rt?.dispose();
    if (profileDir) await rm(profileDir, { recursive: true, force: true });
  });

  test('an anonymous product view sends nothing; a signed-in checkout sends Started Checkout with its items; the next product view is attributed', async () => {
    const served = page.waitForResponse((r) => r.url().startsWith(`${appUrl}/bigcommerce/storefront.js`));
    // The load event waits for async scripts, so the script has run when goto returns.
    await page.goto(`${shopUrl}/products/linen-shirt/`, { waitUntil: 'load' });
    const script = await served;
    assert.equal(script.status(), 200);
    assert.equal(script.headers()['cross-origin-resource-policy'], 'cross-origin', 'loadable from the store domain');

    await page.goto(`${shopUrl}/checkout/customer-checkout-1`, { waitUntil: 'load' });
    const [started] = await eventually('Started Checkout', async () => {
      const e = await events('Started Checkout');
      return e.length ? e : undefined;
    });
    assert.ok(storefrontRequests.includes('GET /api/storefront/checkout/customer-checkout-1'), storefrontRequests.join('\n'));
    assert.equal(started!.profile.email, 'ana@example.com');
    assert.equal(Number(started!.value), 139.7);
    assert.deepEqual(started!.items, [
      { productId: '112', variantId: '77', quantity: 2, price: 49.9 },
      { productId: '205', variantId: '301', quantity: 1, price: 39.9 },
    ]);
    assert.equal((started!.properties as { CheckoutURL?: string }).CheckoutURL, `${shopUrl}/checkout/customer-checkout-1`);

    await page.goto(`${shopUrl}/products/linen-shirt/`, { waitUntil: 'load' });
    const [viewed] = await eventually('Viewed Product', async () => {
      const e = await events('Viewed Product');
      return e.length ? e : undefined;
    });
    assert.equal(viewed!.profile.email, 'ana@example.com', 'the shopper is remembered from the checkout');
    assert.deepEqual(viewed!.items, [{ productId: '112', variantId: null, quantity: 1, price: 49.9 }]);
    assert.equal((viewed!.properties as { ProductName?: string }).ProductName, 'Linen shirt');
    assert.equal((await events('Viewed Product')).length, 1, 'the anonymous first view sent nothing');
  });

  test('a guest checkout without an email sends Started Checkout once the guest types one', async () => {
    await page.evaluate(() => localStorage.clear());
    await page.goto(`${shopUrl}/checkout/guest-checkout-2`, { waitUntil: 'load' });
    await page.getByLabel('Email').fill('guest@example.com');
    await page.getByLabel('Email').press('Tab');
    const guest = await eventually('the guest Started Checkout', async () => (await events('Started Checkout')).find((e) => e.profile.email === 'guest@example.com'));
    assert.deepEqual(guest.items, [{ productId: '205', variantId: '301', quantity: 3, price: 39.9 }]);
    assert.ok(storefrontRequests.includes('GET /api/storefront/checkout/guest-checkout-2'), 'read through checkout-sdk');
  });
});
