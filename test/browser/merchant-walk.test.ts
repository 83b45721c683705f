// The merchant's path in a real browser (Debian Chromium, headless) against the app on the
// embedded database: demo store and login from the CLI, onboarding, the abandoned-checkout
// flow built from its preset with a short delay, preview, turned live, triggered through the
// API, then the message in the outbox and the number in the report. Screenshots of each main
// page go to test/artifacts/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { ROOT, runCli, startApp } from '../helpers/spawn.ts';
import { skipUnless } from '../helpers/prerequisite.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(ROOT, 'test', 'artifacts');
const ADMIN = { email: 'walk-admin@support.example', password: 'walk-admin-password-1' };

const skip = skipUnless('Chromium', !existsSync(CHROMIUM) && `${CHROMIUM} is not installed (apt-get install chromium)`);

async function poll<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 750));
  }
}

const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

test('a merchant builds, previews and turns on the abandoned-checkout flow, and sees it work', { skip, timeout: 240_000 }, async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  const dataDir = await mkdtemp(join(tmpdir(), 'storeflow-walk-'));
  const profileDir = await mkdtemp(join(tmpdir(), 'storeflow-chromium-'));
  const env = { DATA_DIR: dataDir, PORT: '0', SUPPORT_BOOTSTRAP_EMAIL: ADMIN.email, SUPPORT_BOOTSTRAP_PASSWORD: ADMIN.password };
  const app = await startApp(env);
  const base = `http://127.0.0.1:${app.port}`;
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
  });
  try {
    const demo = await runCli(['demo'], { DATA_DIR: dataDir });
    assert.equal(demo.code, 0, demo.stderr);
    const creds = /as (\S+) with password (\S+)/.exec(demo.stdout);
    const key = /private key: (\S+)/.exec(demo.stdout);
    assert.ok(creds && key, demo.stdout);

    const page = context.pages()[0] ?? (await context.newPage());
    page.on('dialog', (d) => void d.accept());
    const cspErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') cspErrors.push(m.text());
    });

    await page.goto(`${base}/app`);
    await page.getByLabel('Email').fill(creds[1]!);
    await page.getByLabel('Password').fill(creds[2]!);
    await shot(page, '01-sign-in');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: /Get started with demo\.storeflow\.test/ }).waitFor();
    assert.match(await page.locator('#check-catalog').innerText(), /12 products/);
    assert.match(await page.locator('#check-tracking').innerText(), /done/);
    assert.match(await page.locator('#check-flow').innerText(), /to do/);
    await shot(page, '02-onboarding');

    await page.getByRole('link', { name: 'Flows', exact: true }).click();
    await page.getByLabel('Start from').selectOption('abandoned-checkout');
    await page.getByRole('button', { name: 'Create flow' }).click();
    await page.getByText('Flow created as a draft').waitFor();
    await shot(page, '03-flow-builder');

    await page.getByRole('link', { name: 'Edit step wait' }).click();
    await page.getByLabel('Wait for (ISO 8601 duration)').fill('a while');
    await page.getByRole('button', { name: 'Save step' }).click();
    await page.locator('#duration-error').waitFor();
    assert.equal(await page.getByLabel('Wait for (ISO 8601 duration)').inputValue(), 'a while', 'what was typed is kept');
    await page.getByLabel('Wait for (ISO 8601 duration)').fill('PT1S');
    await page.getByRole('button', { name: 'Save step' }).click();
    await page.getByText('Step saved.').waitFor();

    await page.getByRole('link', { name: 'Builder' }).click();
    assert.match(await page.locator('#step-wait').innerText(), /Wait PT1S/);
    await page.getByRole('link', { name: 'Edit step email' }).click();
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.locator('#preview-subject').waitFor();
    assert.equal(await page.locator('#preview-subject').innerText(), 'You left something behind');
    await page.frameLocator('iframe[title="Email preview"]').getByText('your cart is waiting').waitFor({ timeout: 5_000 });
    await page.getByLabel('Send a test to').fill('owner@demo.storeflow.test');
    await page.getByRole('button', { name: 'Send test' }).click();
    await page.getByText('Test message queued for owner@demo.storeflow.test').waitFor();
    await shot(page, '04-template-preview');

    await page.getByRole('link', { name: 'Review and turn on' }).first().click();
    await page.getByLabel(/^Live/).check();
    await shot(page, '05-review');
    await page.getByRole('button', { name: 'Save status' }).click();
    await page.getByText('Status changed.').waitFor();
    assert.match(await page.locator('h1 .badge').innerText(), /live/);
    const flowUrl = page.url().replace(/\?.*$/, '');

    const sent = await fetch(`${base}/api/v1/events`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key[1]}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        events: [{
          metric: 'Started Checkout',
          profile: { email: 'walker@example.com' },
          properties: { Items: [{ ProductID: 'demo-001', VariantID: 'demo-001-1', Quantity: 1, ItemPrice: 59 }], CheckoutURL: 'https://demo.storeflow.test/checkout/walk' },
          value: 59,
          uniqueId: 'walk-checkout-1',
        }],
      }),
    });
    assert.equal(sent.status, 202, await sent.text());

    await poll('the flow email sent to walker@example.com', async () => {
      await page.goto(`${base}/app/messages`);
      const row = page.locator('#messages tr', { hasText: 'walker@example.com' });
      return (await row.count()) > 0 && /sent/.test(await row.first().innerText()) ? true : undefined;
    });
    assert.match(await page.locator('#messages tr', { hasText: 'walker@example.com' }).first().innerText(), /You left something behind/);
    await shot(page, '06-outbox');

    await poll('the report to count the message', async () => {
      await page.goto(`${flowUrl}/report`);
      return (await page.locator('#kpi-sent').innerText()) === '1' ? true : undefined;
    });
    assert.equal(await page.locator('#kpi-entered').innerText(), '1');
    await page.locator('canvas').first().waitFor();
    await page.locator('canvas[data-drawn]').nth(1).waitFor();
    await shot(page, '07-report');

    await page.goto(`${base}/app/flows`);
    assert.match(await page.locator('tr', { hasText: 'Abandoned checkout' }).innerText(), /live/);
    await shot(page, '08-flows');
    await page.goto(`${base}/app/catalog?q=shirt`);
    await page.getByRole('link', { name: 'Linen Shirt' }).click();
    await page.locator('canvas[data-drawn]').first().waitFor();
    await shot(page, '09-product-history');
    await page.goto(`${base}/app`);
    assert.match(await page.locator('#check-flow').innerText(), /done/);

    await page.setViewportSize({ width: 375, height: 800 });
    await page.goto(`${base}/app/flows`);
    const overflow = await page.locator('html').evaluate((el) => (el as unknown as { scrollWidth: number; clientWidth: number }).scrollWidth - (el as unknown as { clientWidth: number }).clientWidth);
    assert.ok(overflow <= 1, `the flows page scrolls sideways at 375 px by ${overflow}px`);
    await shot(page, '10-flows-375');
    await page.goto(flowUrl);
    await shot(page, '11-builder-375');

    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${base}/support/login`);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Domain, platform id or store id').fill('demo.storeflow');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: 'demo.storeflow.test' }).click();
    await page.getByRole('button', { name: 'Check' }).click();
    await page.getByRole('button', { name: 'Enable' }).waitFor();
    await shot(page, '12-support-store');

    assert.deepEqual(cspErrors.filter((e) => /Content Security Policy/i.test(e)), [], 'no page breaks its own CSP');
  } finally {
    await context.close();
    app.child.kill('SIGTERM');
    await new Promise((r) => app.child.once('exit', r));
    await rm(dataDir, { recursive: true, force: true });
    await rm(profileDir, { recursive: true, force: true });
  }
});
