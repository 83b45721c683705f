// The storefront's "tell me when it's back" forms in headless Chromium (Debian's package): the
// t.js snippet's marked form, and the Shopify theme app block rendered as Shopify would render it
// (Liquid, a product with a sold-out variant). A "store" on its own origin serves the pages; the
// app on another origin stores what they post.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Liquid } from 'liquidjs';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createApp } from '../../src/web/app.ts';
import { createStore } from '../../src/stores/create-store.ts';
import { ingestCatalog } from '../../src/ingest/ingest-catalog.ts';
import type { ExternalProductId, ExternalVariantId, StoreId } from '../../src/model/ids.ts';
import { testRuntime, type TestRuntime } from '../helpers/db.ts';
import { skipUnless } from '../helpers/prerequisite.ts';

const CHROMIUM = '/usr/bin/chromium';
const skip = skipUnless('Chromium', !existsSync(CHROMIUM) && `${CHROMIUM} is not installed (apt-get install chromium)`);
const BLOCK = join(import.meta.dirname, '..', '..', 'connectors', 'shopify', 'theme-extension', 'blocks', 'storeflow-back-in-stock.liquid');

const listen = (server: Server): Promise<string> =>
  new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
const close = (server: Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('back-in-stock forms in Chromium', { skip, timeout: 120_000 }, () => {
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
  let blockHtml = '';

  const request = (email: string) =>
    rt.db.pool.query<{ variant: string; quantity: number; source: string }>(
      `SELECT v.external_id AS variant, r.quantity, r.source FROM back_in_stock_requests r
       JOIN profiles p ON p.id = r.profile_id JOIN variants v ON v.id = r.variant_id WHERE r.store_id = $1 AND p.email = $2`,
      [storeId, email],
    ).then((r) => r.rows[0]);

  before(async () => {
    rt = await testRuntime();
    const created = await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: 'boots.example.com' });
    storeId = created.store.id;
    publicKey = created.publicKey;
    await ingestCatalog(rt.db.pool, storeId, [{
      externalId: '9001' as ExternalProductId, title: 'Trail Boot', url: null, imageUrl: null, price: 120, inventoryTracking: 'variant', inventoryQuantity: null,
      variants: [{ externalId: '111' as ExternalVariantId, title: '42', inventoryQuantity: 0 }, { externalId: '112' as ExternalVariantId, title: '43', inventoryQuantity: 4 }],
    }]);
    appServer = createServer(createApp(rt));
    appUrl = await listen(appServer);

    // The app block as Shopify renders it: its schema is not output, `product` is the page's product.
    const source = readFileSync(BLOCK, 'utf8').replace(/{%\s*schema\s*%}[\s\S]*?{%\s*endschema\s*%}/, '');
    blockHtml = await new Liquid().parseAndRender(source, {
      product: { variants: [{ id: 111, available: false }, { id: 112, available: true }], selected_or_first_available_variant: { id: 111, available: false } },
      block: {
        id: 'b1', shopify_attributes: '',
        settings: { public_key: publicKey, app_url: appUrl, heading: 'Sold out', email_label: 'Email', ask_quantity: true, quantity_label: 'How many', button_label: 'Notify me', done_message: 'Thanks!', busy_message: 'Later', error_message: 'Oops' },
      },
    });

    shopServer = createServer((req, res) => {
      const html = (body: string) => void res.writeHead(200, { 'Content-Type': 'text/html' }).end(`<!doctype html><html><body>${body}</body></html>`);
      if (req.url === '/snippet') {
        return html(`<form data-storeflow-back-in-stock data-variant-id="111"><input name="email" type="email"><input name="quantity" value="2"><button>Notify me</button><span data-storeflow-status></span></form>
<script async src="${appUrl}/t.js" data-key="${publicKey}"></script>`);
      }
      if (req.url === '/shopify') {
        return html(`<form action="/cart/add" method="post"><select name="id"><option value="111" selected>42</option><option value="112">43</option></select></form>${blockHtml}`);
      }
      res.writeHead(404).end();
    });
    shopUrl = await listen(shopServer);
    profileDir = await mkdtemp(join(tmpdir(), 'storeflow-chromium-'));
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
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

  test('the snippet sends a marked form across origins and marks it received', async () => {
    await page.goto(`${shopUrl}/snippet`);
    await page.waitForFunction('Boolean(window.storeflow)');
    await page.fill('input[name=email]', 'snippet@example.com');
    await page.click('button');
    await page.waitForSelector('[data-storeflow-status][data-state="received"]', { state: 'attached' });
    assert.deepEqual(await eventually('the request', () => request('snippet@example.com')), { variant: '111', quantity: 2, source: 'storefront' });
  });

  test('the theme block shows for a sold-out variant, hides for one in stock, and sends the chosen variant', async () => {
    await page.goto(`${shopUrl}/shopify`);
    assert.equal(await page.isVisible('#storeflow-bis-b1'), true);
    await page.selectOption('select[name=id]', '112');
    assert.equal(await page.isVisible('#storeflow-bis-b1'), false);
    await page.selectOption('select[name=id]', '111');
    await page.fill('#storeflow-bis-b1 input[name=email]', 'block@example.com');
    await page.fill('#storeflow-bis-b1 input[name=quantity]', '3');
    await page.click('#storeflow-bis-b1 button');
    await page.waitForFunction("document.querySelector('#storeflow-bis-b1 [data-storeflow-status]').textContent === 'Thanks!'");
    assert.deepEqual(await eventually('the request', () => request('block@example.com')), { variant: '111', quantity: 3, source: 'theme-block' });
  });
});
