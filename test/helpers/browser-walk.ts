// What every Chromium walk shares: the browser launched with the same flags, a page that collects
// console errors and serves axe-core, and the check each page passes (a screenshot, axe-core's
// rules, no console errors).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ROOT } from './spawn.ts';
import { skipUnless } from './prerequisite.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = join(ROOT, 'test', 'artifacts');
const AXE = join(ROOT, 'node_modules', 'axe-core', 'axe.min.js');
/** Served on the app's own origin (intercepted, never reaching the app) so its CSP lets it run. */
const AXE_PATH = '/__test-only/axe.min.js';

export const skipWithoutChromium = skipUnless('Chromium', !existsSync(CHROMIUM) && `${CHROMIUM} is not installed (apt-get install chromium)`);

export function launchChromium(profileDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
  });
}

/** The walk's page: dialogs accepted, axe-core served, console and page errors collected in `errors`. */
export async function walkPage(context: BrowserContext): Promise<{ page: Page; errors: string[] }> {
  await context.route(`**${AXE_PATH}`, (route) => route.fulfill({ path: AXE, contentType: 'application/javascript' }));
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('dialog', (d) => void d.accept());
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return { page, errors };
}

export const screenshot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

type AxeResult = { violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[] }> }> };

/** A screenshot, then axe-core's rules and the console: a page fails on any violation or error `allow` does not name. */
export async function checkPage(page: Page, name: string, consoleErrors: string[], allow?: RegExp): Promise<void> {
  await screenshot(page, name);
  await page.addScriptTag({ url: new URL(AXE_PATH, page.url()).href });
  const result = (await page.evaluate('axe.run(document)')) as AxeResult;
  const violations = result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
  assert.deepEqual(violations, [], `${name}: accessibility violations`);
  assert.deepEqual(consoleErrors.splice(0).filter((e) => !allow?.test(e)), [], `${name}: console errors`);
}
