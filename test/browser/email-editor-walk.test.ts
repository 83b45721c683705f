// The email editor in a real browser (Debian Chromium, headless): a merchant turns the
// abandoned-checkout email into blocks, adds a discount code and a button, moves a block with the
// keyboard, saves, and previews the email as a real shopper of the store at phone and desktop
// widths. Screenshots go to test/artifacts/; every page passes axe-core and logs no console error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ROOT, runCli, startApp } from '../helpers/spawn.ts';
import { ARTIFACTS, checkPage, launchChromium, skipWithoutChromium, walkPage } from '../helpers/browser-walk.ts';

/** The demo catalog's images live on demo.storeflow.test, which no resolver knows: message frames fail to load them. */
const DEMO_IMAGES = /net::ERR_NAME_NOT_RESOLVED/;



const legends = (page: Page) => page.locator('.blocks legend').allInnerTexts();

test('a merchant builds an email from blocks, reorders one, and previews it as a real shopper', { skip: skipWithoutChromium, timeout: 600_000 }, async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  const dataDir = await mkdtemp(join(tmpdir(), 'storeflow-email-walk-'));
  const profileDir = await mkdtemp(join(tmpdir(), 'storeflow-chromium-'));
  const app = await startApp({ DATA_DIR: dataDir, PORT: '0' });
  const base = `http://127.0.0.1:${app.port}`;
  const context = await launchChromium(profileDir);
  try {
    const demo = await runCli(['demo'], { DATA_DIR: dataDir });
    assert.equal(demo.code, 0, demo.stderr);
    const creds = /as (\S+) with password (\S+)/.exec(demo.stdout);
    const key = /private key: (\S+)/.exec(demo.stdout);
    assert.ok(creds && key, demo.stdout);

    // A real shopper with a real checkout, to preview as.
    const api = { Authorization: `Bearer ${key[1]}`, 'Content-Type': 'application/json' };
    const profile = await fetch(`${base}/api/v1/profiles`, { method: 'POST', headers: api, body: JSON.stringify({ profiles: [{ email: 'grace@example.com', firstName: 'Grace' }] }) });
    assert.equal(profile.status, 200, await profile.text());
    const sent = await fetch(`${base}/api/v1/events`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key[1]}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ events: [{
        metric: 'Started Checkout',
        profile: { email: 'grace@example.com' },
        properties: { Items: [{ ProductID: 'demo-001', VariantID: 'demo-001-1', Quantity: 1, ItemPrice: 59 }], CheckoutURL: 'https://demo.storeflow.test/checkout/grace' },
        value: 59,
        uniqueId: 'email-walk-checkout-1',
      }] }),
    });
    assert.equal(sent.status, 202, await sent.text());

    const { page, errors } = await walkPage(context);

    await page.goto(`${base}/app`);
    await page.getByLabel('Email').fill(creds[1]!);
    await page.getByLabel('Password').fill(creds[2]!);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Store settings' }).click();
    await page.getByLabel('Store currency').selectOption('EUR');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Saved.', { exact: false }).first().waitFor();
    await page.getByRole('link', { name: 'Flows', exact: true }).click();
    await page.getByLabel('Start from').selectOption('abandoned-checkout');
    await page.getByRole('button', { name: 'Create flow' }).click();
    await page.getByText('Flow created as a draft').waitFor();
    await page.getByRole('link', { name: 'Edit step email' }).click();
    await page.getByRole('link', { name: 'Build it with blocks instead' }).click();
    await page.getByRole('heading', { name: /Email email/ }).waitFor();
    assert.deepEqual(await legends(page), ['Block 1: Heading', 'Block 2: Text', 'Block 3: Product', 'Block 4: Footer with unsubscribe']);

    await page.getByRole('button', { name: 'Add discount code' }).click();
    await page.getByLabel('Discount code').fill('WALK10');
    await page.getByRole('button', { name: 'Add button' }).click();
    assert.equal(await page.getByLabel('Discount code').inputValue(), 'WALK10', 'what was typed survives adding a block');
    assert.deepEqual(await legends(page), ['Block 1: Heading', 'Block 2: Text', 'Block 3: Product', 'Block 4: Discount code', 'Block 5: Button', 'Block 6: Footer with unsubscribe']);
    await page.getByRole('group', { name: 'Block 5: Button' }).getByLabel('Button text').fill('Back to your cart');
    // Move the discount code above the products, from the keyboard.
    await page.getByRole('button', { name: 'Move up block 4 (Discount code)' }).focus();
    await page.keyboard.press('Enter');
    await page.locator('#block-2 legend', { hasText: 'Discount code' }).waitFor();
    assert.deepEqual(await legends(page), ['Block 1: Heading', 'Block 2: Text', 'Block 3: Discount code', 'Block 4: Product', 'Block 5: Button', 'Block 6: Footer with unsubscribe']);
    assert.equal(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { textContent: string } } }).document.activeElement.textContent), 'Move up block 3 (Discount code)', 'focus follows the moved block');
    await page.getByLabel('Store address').fill('1 Demo Street, Springfield');
    await checkPage(page, '20-email-editor', errors);

    await page.getByRole('button', { name: 'Save email' }).first().click();
    await page.getByText('Email saved.').waitFor();
    assert.deepEqual(await legends(page), ['Block 1: Heading', 'Block 2: Text', 'Block 3: Discount code', 'Block 4: Product', 'Block 5: Button', 'Block 6: Footer with unsubscribe'], 'the order was saved');

    await page.getByLabel('Find a profile (email, phone or name)').fill('grace');
    await page.getByRole('button', { name: 'Find', exact: true }).click();
    await page.getByLabel('Preview as').selectOption({ label: 'Grace · grace@example.com' });
    await page.getByRole('button', { name: 'Preview', exact: true }).click();
    await page.locator('#preview-subject').waitFor();
    assert.match(await page.locator('#preview-shopper').innerText(), /As Grace \(grace@example\.com\), with their Started Checkout/);
    for (const width of ['phone', 'desktop']) {
      const frame = page.frameLocator(`iframe[title="Email preview at ${width} width"]`);
      await frame.getByText('Hi Grace').waitFor({ timeout: 10_000 });
      await frame.getByText('WALK10').waitFor();
      await frame.getByText('€59.00').first().waitFor();
      await frame.getByText('Unsubscribe').waitFor();
    }
    const widths = await page.locator('.preview-widths iframe').evaluateAll((els) => els.map((e) => Math.round((e as unknown as { getBoundingClientRect(): { width: number } }).getBoundingClientRect().width)));
    assert.deepEqual(widths, [375, 700]);
    await page.locator('#preview').scrollIntoViewIfNeeded();
    await checkPage(page, '21-email-preview-real-profile', errors, DEMO_IMAGES);

    await page.setViewportSize({ width: 375, height: 800 });
    await page.goto(page.url());
    await page.getByRole('heading', { name: /Email email/ }).waitFor();
    await checkPage(page, '22-email-editor-375', errors);
  } finally {
    await context.close();
    app.child.kill('SIGTERM');
    await new Promise((r) => app.child.once('exit', r));
    await rm(dataDir, { recursive: true, force: true });
    await rm(profileDir, { recursive: true, force: true });
  }
});
