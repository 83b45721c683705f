// The builder graph in a real browser (Debian Chromium, headless): a blank flow gets a split
// with a step in each lane, one step is moved with the keyboard alone (Tab to it, Alt+↑), one
// is moved into a lane with "Move to…", one is removed with the keyboard's Delete. Each page
// the merchant sees is saved as a screenshot under test/artifacts/, passes axe-core's rules
// and logs no console error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ROOT, runCli, startApp } from '../helpers/spawn.ts';
import { ARTIFACTS, checkPage, launchChromium, skipWithoutChromium, walkPage } from '../helpers/browser-walk.ts';





/** Opens the "Add step here" at the place named, picks the kind, adds, and comes back to the builder. */
async function addStep(page: Page, place: string, kind: string): Promise<void> {
  const details = page.locator('details.fg-add', { has: page.locator('summary', { hasText: place }) });
  await details.locator('summary').click();
  await details.getByLabel('Kind of step').selectOption({ label: kind });
  await details.getByRole('button', { name: /^Add/ }).click();
  await page.getByRole('button', { name: 'Save step' }).waitFor();
  await page.getByRole('link', { name: 'Builder' }).click();
  await page.locator('.fg').waitFor();
}

/** The lanes of a split as the page shows them: lane name → step ids in order. */
async function lanesOf(page: Page, splitId: string): Promise<Array<[string, string[]]>> {
  const lanes = page.locator(`.fg-item[data-item="${splitId}"] > .fg-lanes > .fg-branch`);
  const out: Array<[string, string[]]> = [];
  for (const lane of await lanes.all()) {
    const ids = await lane.locator(':scope > .fg-lane > .fg-item').evaluateAll((items) => items.map((i) => i.getAttribute('data-item') ?? ''));
    out.push([await lane.locator('.fg-lane-label').first().innerText(), ids]);
  }
  return out;
}
/** Does `act` and waits for the page it leads to: the notice an edit shows may already be on the page from the edit before. */
async function navigates(page: Page, act: () => Promise<unknown>): Promise<void> {
  const loaded = page.waitForEvent('load');
  await act();
  await loaded;
}
const mainIds = (page: Page) => page.locator('.fg-main > .fg-item[data-item]').evaluateAll((items) => items.map((i) => i.getAttribute('data-item') ?? ''));
/** The step id of the focused node, if a node has focus. */
const focusedStep = (page: Page) => page.evaluate('document.activeElement && document.activeElement.dataset.step') as Promise<string | undefined>;

/** Presses Tab until the step's node has focus: the keyboard's own way there. */
async function tabTo(page: Page, stepId: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    await page.keyboard.press('Tab');
    if ((await focusedStep(page)) === stepId) return;
  }
  assert.fail(`Tab never reached step ${stepId}`);
}

test('a merchant builds a flow with a split on the graph: adds, moves and removes steps in place', { skip: skipWithoutChromium, timeout: 480_000 }, async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  const dataDir = await mkdtemp(join(tmpdir(), 'storeflow-graph-'));
  const profileDir = await mkdtemp(join(tmpdir(), 'storeflow-chromium-'));
  const app = await startApp({ DATA_DIR: dataDir, PORT: '0' });
  const base = `http://127.0.0.1:${app.port}`;
  const context = await launchChromium(profileDir);
  try {
    const added = await runCli(['store', 'add', '--platform', 'custom', '--domain', 'graph.example', '--json'], { DATA_DIR: dataDir });
    assert.equal(added.code, 0, added.stderr);
    const { storeId } = JSON.parse(added.stdout) as { storeId: string };
    const user = await runCli(['user', 'add', '--store', storeId, '--email', 'owner@graph.example'], { DATA_DIR: dataDir });
    assert.equal(user.code, 0, user.stderr);
    const password = /^password:\s*(\S+)/m.exec(user.stdout)?.[1];
    assert.ok(password, user.stdout);

    const { page, errors } = await walkPage(context);

    await page.goto(`${base}/app/login`);
    await page.getByLabel('Email').fill('owner@graph.example');
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Flows', exact: true }).click();
    await page.getByLabel('Start from').selectOption('blank');
    await page.getByRole('button', { name: 'Create flow' }).click();
    await page.getByText('Flow created as a draft').waitFor();
    assert.deepEqual(await mainIds(page), ['email-1']);
    await checkPage(page, '21-graph-blank', errors);

    // A split at the end, then a step in each of its lanes.
    await addStep(page, 'Main path: at the end, after step email-1', 'Split on a condition (yes / no)');
    assert.deepEqual(await lanesOf(page, 'split-1'), [['Yes', []], ['No', []]]);
    await addStep(page, 'Yes lane of step split-1: at the end', 'Email');
    await addStep(page, 'No lane of step split-1: at the end', 'SMS');
    await addStep(page, 'No lane of step split-1: at the end, after step sms-1', 'Wait (a delay)');
    assert.deepEqual(await mainIds(page), ['email-1', 'split-1']);
    assert.deepEqual(await lanesOf(page, 'split-1'), [['Yes', ['email-2']], ['No', ['sms-1', 'delay-1']]]);
    assert.match(await page.locator('#step-split-1 .fg-summary').first().innerText(), /If has done Placed Order/);
    const box = async (id: string) => (await page.locator(`#step-${id}`).boundingBox())!;
    const [yes, no] = [await box('email-2'), await box('sms-1')];
    assert.ok(Math.abs(yes.y - no.y) < 2 && no.x > yes.x + yes.width, 'the lanes sit side by side');
    await checkPage(page, '22-graph-split', errors);

    // Keyboard only: Tab to the delay, ↑ to the SMS above it, Alt+↑ moves the SMS out above the split.
    await tabTo(page, 'delay-1');
    await page.keyboard.press('ArrowUp');
    assert.equal(await focusedStep(page), 'sms-1');
    await navigates(page, () => page.keyboard.press('Alt+ArrowUp'));
    await page.getByText('Step moved.').waitFor();
    assert.deepEqual(await mainIds(page), ['email-1', 'sms-1', 'split-1']);
    assert.deepEqual(await lanesOf(page, 'split-1'), [['Yes', ['email-2']], ['No', ['delay-1']]]);
    // The page comes back at #step-sms-1, the moved step's box, which takes the focus: the keyboard carries on.
    for (let i = 0; i < 50 && (await focusedStep(page)) !== 'sms-1'; i++) await page.waitForTimeout(200);
    assert.equal(await focusedStep(page), 'sms-1', 'focus stays on the moved step');
    await checkPage(page, '23-graph-moved-by-keyboard', errors);

    // "Move to…": the SMS goes into the Yes lane, under the email.
    const move = page.locator('#step-sms-1 details.fg-move');
    await move.locator('summary').click();
    await move.getByLabel('Move step sms-1 to').selectOption({ label: 'Yes lane of step split-1: at the end, after step email-2' });
    await navigates(page, () => move.getByRole('button', { name: /^Move/ }).click());
    await page.getByText('Step moved.').waitFor();
    assert.deepEqual(await mainIds(page), ['email-1', 'split-1']);
    assert.deepEqual(await lanesOf(page, 'split-1'), [['Yes', ['email-2', 'sms-1']], ['No', ['delay-1']]]);

    // Remove with the keyboard: focus the email, Delete, confirm.
    await tabTo(page, 'email-2');
    await navigates(page, () => page.keyboard.press('Delete'));
    await page.getByText('Step removed.').waitFor();
    assert.deepEqual(await lanesOf(page, 'split-1'), [['Yes', ['sms-1']], ['No', ['delay-1']]]);
    await checkPage(page, '24-graph-removed', errors);

    // The mouse too: the delay leaves with its Remove button.
    await navigates(page, () => page.getByRole('button', { name: 'Remove step delay-1' }).click());
    await page.getByText('Step removed.').waitFor();
    assert.deepEqual(await lanesOf(page, 'split-1'), [['Yes', ['sms-1']], ['No', []]]);

    await page.setViewportSize({ width: 375, height: 800 });
    await page.reload();
    const overflow = await page.locator('html').evaluate((el) => (el as unknown as { scrollWidth: number; clientWidth: number }).scrollWidth - (el as unknown as { clientWidth: number }).clientWidth);
    assert.ok(overflow <= 1, `the builder scrolls sideways at 375 px by ${overflow}px`);
    await checkPage(page, '25-graph-375', errors);
  } finally {
    await context.close();
    app.child.kill('SIGTERM');
    await new Promise((r) => app.child.once('exit', r));
    await rm(dataDir, { recursive: true, force: true });
    await rm(profileDir, { recursive: true, force: true });
  }
});
