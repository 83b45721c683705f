// The merchant app signed in inside a cross-site iframe, in a real browser (Debian Chromium,
// headless): a parent page on one loopback origin (localhost) frames the Wix dashboard launch on
// another (127.0.0.1), as the Wix dashboard would. The launch's cookie (SameSite=None, Secure,
// Partitioned) must come back inside the frame, and the signed-in page must show. The parent's
// origin stands in for manage.wix.com through EXTRA_FRAME_ANCESTORS; a parent on an origin not
// listed gets a blocked frame.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { chromium, type Browser, type Frame, type Page } from 'playwright-core';
import { runCli, startApp } from '../helpers/spawn.ts';
import { createTestDatabase } from '../helpers/db.ts';
import { skipUnless } from '../helpers/prerequisite.ts';
import { saveInstallation } from '../../src/db/repositories/stores.ts';
import { StoreId } from '../../src/model/ids.ts';
import { WIX_APP_ID, WIX_APP_SECRET } from '../fixtures/wix/sign.ts';
import { signedInstance } from '../fixtures/wix/signed-instance.ts';

const CHROMIUM = '/usr/bin/chromium';
const SITE = '3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f';
const skip = skipUnless('Chromium', !existsSync(CHROMIUM) && `${CHROMIUM} is not installed (apt-get install chromium)`);

/** A parent page that frames `src`, served from its own port on localhost. */
async function parentPage(): Promise<{ server: Server; origin: string; frame: (src: string) => string }> {
  let src = 'about:blank';
  const server = createServer((_req, res) => {
    res.setHeader('Content-Type', 'text/html');
    res.end(`<!doctype html><title>Admin</title><h1>Platform admin</h1><iframe title="app" src="${src}" width="1000" height="700"></iframe>`);
  });
  await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
  const origin = `http://localhost:${(server.address() as AddressInfo).port}`;
  return { server, origin, frame: (s) => ((src = s), `${origin}/`) };
}

async function appFrame(page: Page): Promise<Frame> {
  await page.locator('iframe[title="app"]').waitFor();
  const frame = page.frames().find((f) => f !== page.mainFrame());
  assert.ok(frame, 'the page has its iframe');
  return frame;
}

test('a Wix dashboard launch signs in inside a cross-site iframe; an unlisted parent cannot frame it', { skip, timeout: 120_000 }, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'storeflow-frame-'));
  const database = await createTestDatabase();
  const servers: Server[] = [];
  let app: Awaited<ReturnType<typeof startApp>> | undefined;
  let browser: Browser | undefined;
  try {
    const allowed = await parentPage();
    const stranger = await parentPage();
    servers.push(allowed.server, stranger.server);
    const env = { DATA_DIR: dataDir, DATABASE_URL: database.url };
    app = await startApp({ ...env, PORT: '0', WIX_APP_ID, WIX_APP_SECRET, EXTRA_FRAME_ANCESTORS: allowed.origin });
    // A Wix store is keyed by its instance id, which `store add` cannot set; the install would.
    const added = await runCli(['store', 'add', '--platform', 'wix', '--domain', 'frame-test.example', '--json'], env);
    assert.equal(added.code, 0, added.stderr);
    const pool = new pg.Pool({ connectionString: database.url, max: 1 });
    await saveInstallation(pool, StoreId.parse(JSON.parse(added.stdout).storeId), { accessTokenSealed: null, scopes: [], externalId: SITE });
    await pool.end();
    const base = `http://127.0.0.1:${app.port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
    });
    const context = await browser.newContext();
    const page = await context.newPage();

    await page.goto(allowed.frame(`${base}/wix/dashboard?instance=${signedInstance(SITE)}&viewMode=dashboard`));
    const frame = await appFrame(page);
    await frame.getByRole('heading', { name: 'Get started with frame-test.example' }).waitFor({ timeout: 15_000 });
    assert.equal(new URL(frame.url()).pathname, '/app', 'the launch redirected inside the frame and the cookie came back');
    // A second page in the same frame still carries the session: the cookie was kept, not just the redirect.
    await frame.getByRole('link', { name: 'Flows', exact: true }).click();
    await frame.getByRole('heading', { name: 'Flows' }).waitFor();
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'sf_app');
    assert.ok(session, `the session cookie exists: ${JSON.stringify(cookies)}`);
    assert.equal(session.sameSite, 'None');
    assert.equal(session.secure, true);
    // Partitions are keyed by the top-level site (scheme and host), the admin's here.
    assert.equal(session.partitionKey, 'http://localhost', 'the cookie lives in the admin’s partition only');

    const other = await context.newPage();
    const blocked: string[] = [];
    other.on('console', (m) => blocked.push(m.text()));
    await other.goto(stranger.frame(`${base}/wix/dashboard?instance=${signedInstance(SITE)}`));
    const refused = await appFrame(other);
    await other.waitForTimeout(1_000);
    assert.equal(await refused.getByText(/Get started/).count(), 0, 'an origin that is not the admin sees nothing');
    assert.ok(blocked.some((t) => /frame-ancestors/.test(t)), `the browser names the policy that blocked it: ${blocked.join(' | ')}`);
  } finally {
    await browser?.close();
    if (app) {
      const { child } = app;
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    for (const server of servers) server.close();
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
});
