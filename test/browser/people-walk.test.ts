// The people pages in a real browser (Debian Chromium, headless) against the app on the embedded
// database: the demo store, a profile searched for and opened, a list created and a CSV file
// imported into it (one bad row reported by its line), and a spend segment built with the
// condition builder whose member count is then shown. Screenshots go to test/artifacts/; every
// page is checked with axe-core and must log no console error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runCli, startApp } from '../helpers/spawn.ts';
import { ARTIFACTS, checkPage, launchChromium, skipWithoutChromium, walkPage } from '../helpers/browser-walk.ts';





const CSV = [
  'email,first_name,last_name,email_consent',
  'fair-one@example.com,Fern,Ash,yes',
  'fair-two@example.com,Olive,Birch,',
  'not-an-address,Bad,Row,yes',
  'shopper1@example.com,,,no',
].join('\n');

test('a merchant finds a person, builds a list from a CSV and a spend segment, and sees its count', { skip: skipWithoutChromium, timeout: 540_000 }, async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  const dataDir = await mkdtemp(join(tmpdir(), 'storeflow-people-walk-'));
  const profileDir = await mkdtemp(join(tmpdir(), 'storeflow-chromium-'));
  // The database is made and seeded before the app starts, so the app's start is only its start.
  const demo = await runCli(['demo'], { DATA_DIR: dataDir });
  assert.equal(demo.code, 0, demo.stderr);
  const creds = /as (\S+) with password (\S+)/.exec(demo.stdout);
  assert.ok(creds, demo.stdout);
  const app = await startApp({ DATA_DIR: dataDir, PORT: '0' });
  const base = `http://127.0.0.1:${app.port}`;
  const context = await launchChromium(profileDir);
  try {
    const { page, errors } = await walkPage(context);

    await page.goto(`${base}/app`);
    await page.getByLabel('Email').fill(creds[1]!);
    await page.getByLabel('Password').fill(creds[2]!);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Store settings' }).click();
    await page.getByLabel('Store timezone').selectOption('Europe/Berlin');
    await page.getByLabel('Store currency').selectOption('EUR');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Saved. Dates and money now show in these.').waitFor();

    // Profiles: search, then open one.
    await page.getByRole('link', { name: 'People', exact: true }).click();
    await page.getByLabel('Find a person').fill('shopper12@');
    await page.getByRole('button', { name: 'Search' }).click();
    assert.equal(await page.locator('#people tbody tr').count(), 1);
    await checkPage(page, 'p01-people-search', errors);
    await page.locator('#people tbody a').first().click();
    await page.getByRole('heading', { name: 'Identifiers' }).waitFor();
    assert.match(await page.locator('#identifiers').innerText(), /shopper12@example\.com/);
    assert.match(await page.locator('#consent').innerText(), /Email\s+(Subscribed|Unsubscribed|Never subscribed)/);
    await checkPage(page, 'p02-person', errors);

    // Lists: create one, import a CSV file (sent as the request body by list-import.js).
    await page.getByRole('link', { name: 'Lists', exact: true }).click();
    await page.getByLabel('List name').fill('Spring fair');
    await page.getByRole('button', { name: 'Create list' }).click();
    await page.getByText('List created.').waitFor();
    await checkPage(page, 'p03-list', errors);
    await page.getByLabel('CSV file').setInputFiles({ name: 'fair.csv', mimeType: 'text/csv', buffer: Buffer.from(CSV) });
    await page.getByRole('button', { name: 'Import' }).click();
    await page.getByRole('heading', { name: 'Latest import' }).waitFor();
    assert.match(await page.locator('#import-report').innerText(), /read 4 rows, imported 3, 3 joined the list, consent recorded for 2, 1 refused/);
    assert.match(await page.locator('#bad-rows').innerText(), /4\s+the email is not an email address/);
    assert.equal(await page.locator('#members tbody tr').count(), 3);
    await checkPage(page, 'p04-list-imported', errors);
    await page.getByRole('link', { name: 'Fern Ash' }).click();
    assert.match(await page.locator('#consent').innerText(), /Email\s+Subscribed\s+csv import\s+\d+ \w{3} \d{4}, \d\d:\d\d CE(S)?T/);

    // Segments: spend over a year, at least an amount in the store's currency.
    await page.getByRole('link', { name: 'Segments', exact: true }).click();
    await page.getByRole('link', { name: 'New segment' }).click();
    await page.getByLabel('Segment name').fill('Spent over €10');
    await page.locator('#s_kind_0').selectOption('spent');
    await page.locator('#s_metric_0').selectOption('Placed Order');
    await page.locator('#s_days_0').fill('365');
    await page.locator('#s_amount_0').fill('10');
    await checkPage(page, 'p05-segment-builder', errors);
    await page.getByRole('button', { name: 'Create segment' }).click();
    await page.getByText('Segment created:').waitFor();
    const count = Number(await page.locator('#segment-count strong').innerText());
    assert.ok(count > 0, 'demo shoppers have placed orders');
    assert.match(await page.locator('#h-cond + ul').innerText(), /Placed Order value, summed over 365 days, at least €10\.00/);
    assert.equal(await page.locator('svg.count-chart rect').count(), 1, 'today’s count in the chart');
    await checkPage(page, 'p06-segment', errors);
    await page.getByRole('link', { name: '← Segments' }).click();
    assert.match(await page.locator('#segments').innerText(), new RegExp(`Spent over €10\\s+${count}\\s`));
    await checkPage(page, 'p07-segments', errors);
  } finally {
    await context.close();
    app.child.kill('SIGTERM');
    await new Promise((r) => app.child.once('exit', r));
    await rm(dataDir, { recursive: true, force: true });
    await rm(profileDir, { recursive: true, force: true });
  }
});
