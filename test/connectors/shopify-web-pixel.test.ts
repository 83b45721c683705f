// The web pixel switched on at install through the Admin GraphQL API (a local stub): created
// with the settings the extension declares and reads, updated on reinstall, and a refusal that
// leaves the install standing, shows on the onboarding checklist and is retried by the worker.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Session } from '@shopify/shopify-api';
import { shopifyInstallation } from '../../connectors/shopify/install.ts';
import { installStore } from '../../src/stores/install-store.ts';
import { connectorJobHost } from '../../src/jobs/connector-jobs.ts';
import type { ShopifyConnector } from '../../connectors/shopify/shopify-connector.ts';
import { retryPixelActivations } from '../../connectors/shopify/web-pixel-activation.ts';
import { findSync } from '../../src/db/repositories/catalog-syncs.ts';
import { findPixelState } from '../../src/db/repositories/shopify-web-pixels.ts';
import { onboarding } from '../../src/merchant/onboarding.ts';
import type { Store } from '../../src/model/store.ts';
import { testRuntime, type TestRuntime } from '../helpers/db.ts';
import { ENV, SHOP, graphqlError, startAdminStub, type AdminStub, type StubCall } from '../fixtures/shopify/kit.ts';

const PIXEL_DIR = join(import.meta.dirname, '..', '..', 'connectors', 'shopify', 'pixel');
const PIXEL_ID = 'gid://shopify/WebPixel/301';
const MINUTE = 60_000;

describe('Shopify web pixel activation', () => {
  let rt: TestRuntime;
  let stub: AdminStub;
  /** The shop's pixel as Shopify holds it: none until created. */
  let pixel: { id: string; settings: string } | null = null;
  /** What webPixelCreate answers next: the pixel, a userErrors refusal, or a top-level error. */
  let refuse: 'no' | 'user-errors' | 'access-denied' = 'no';

  const api = () => (rt.connectors.shopify as ShopifyConnector).api;
  const deps = () => ({ ...connectorJobHost(rt), api: api() });
  const completeInstall = async (d: ReturnType<typeof deps>, s: Session): Promise<Store> => {
    const outcome = await installStore(d, { ok: true, installation: shopifyInstallation(d, s) });
    assert.equal(outcome.status, 'installed');
    return (outcome as { store: Store }).store;
  };
  const session = (accessToken: string) =>
    new Session({ id: api().session.getOfflineId(SHOP), shop: SHOP, state: '', isOnline: false, accessToken, scope: rt.config.shopify.scopes.join(','), expires: new Date(Date.now() + 60 * MINUTE) });
  const pixelCalls = (mutation: 'webPixelCreate' | 'webPixelUpdate') => stub.calls.filter((c) => c.body.query?.includes(`${mutation}(`));
  const settingsOf = (c: StubCall) => JSON.parse(String((c.body.variables?.webPixel as { settings: string }).settings)) as Record<string, string>;
  const trackingDetail = async (store: Store) => (await onboarding(rt.db.pool, rt.config, store)).items.find((i) => i.key === 'tracking')!.detail;

  before(async () => {
    rt = await testRuntime({ env: ENV });
    stub = await startAdminStub();
    stub.graphql.set('StoreflowWebPixel', () => (pixel ? { webPixel: { id: pixel.id } } : graphqlError('No web pixel was found for this app.')));
    stub.graphql.set('StoreflowWebPixelCreate', (b) => {
      if (refuse === 'user-errors') {
        return { webPixelCreate: { userErrors: [{ code: 'INVALID_SETTINGS', field: ['webPixel', 'settings'], message: 'Settings do not match the definition' }], webPixel: null } };
      }
      if (refuse === 'access-denied') return graphqlError('Access denied for webPixelCreate field. Required access: `write_pixels` access scope.');
      pixel = { id: PIXEL_ID, settings: String((b.variables?.webPixel as { settings: string }).settings) };
      return { webPixelCreate: { userErrors: [], webPixel: pixel } };
    });
    stub.graphql.set('StoreflowWebPixelUpdate', (b) => {
      if (b.variables?.id !== pixel?.id) return { webPixelUpdate: { userErrors: [{ code: 'NOT_FOUND', field: ['id'], message: 'Not found' }], webPixel: null } };
      pixel = { id: PIXEL_ID, settings: String((b.variables?.webPixel as { settings: string }).settings) };
      return { webPixelUpdate: { userErrors: [], webPixel: pixel } };
    });
  });
  after(async () => {
    await stub.close();
    await rt.dispose();
  });

  test('install creates the pixel, after the webhooks, with the settings the extension declares and reads', async () => {
    const store = await completeInstall(deps(), session('shpat_pixel_1'));
    const [create, ...more] = pixelCalls('webPixelCreate');
    assert.equal(more.length, 0);
    const lastWebhook = stub.calls.findLastIndex((c) => /webhookSubscriptionCreate/.test(c.body.query ?? ''));
    assert.ok(lastWebhook >= 0 && lastWebhook < stub.calls.indexOf(create!), 'webhooks are registered first');

    const settings = settingsOf(create!);
    assert.deepEqual(settings, { appUrl: 'https://storeflow.example.com', publicKey: store.publicKey });
    // Shopify validates the settings against the extension's [settings] fields; the pixel reads the same keys.
    const declared = [...readFileSync(join(PIXEL_DIR, 'shopify.extension.toml'), 'utf8').matchAll(/^\[settings\.fields\.(\w+)\]$/gm)].map((m) => m[1]);
    assert.deepEqual(declared.sort(), Object.keys(settings).sort());
    const source = readFileSync(join(PIXEL_DIR, 'src', 'index.js'), 'utf8');
    for (const key of declared) assert.match(source, new RegExp(`settings\\.${key}\\b`));

    assert.deepEqual(
      { ...(await findPixelState(rt.db.pool, store.id)), activatedAt: undefined },
      { status: 'active', webPixelId: PIXEL_ID, attempts: 0, lastError: null, nextAttemptAt: null, activatedAt: undefined },
    );
    assert.match(await trackingDetail(store), /^Storefront tracking activated/);
    assert.equal(await retryPixelActivations(deps()), 0, 'nothing is due once it is on');
  });

  test('a reinstall updates the pixel that exists instead of creating a second', async () => {
    const store = await completeInstall(deps(), session('shpat_pixel_2'));
    assert.equal(pixelCalls('webPixelCreate').length, 1);
    const [update, ...more] = pixelCalls('webPixelUpdate');
    assert.equal(more.length, 0);
    assert.equal(update!.body.variables?.id, PIXEL_ID);
    assert.deepEqual(settingsOf(update!), { appUrl: 'https://storeflow.example.com', publicKey: store.publicKey });
    assert.equal((await findPixelState(rt.db.pool, store.id))?.status, 'active');
  });

  test('a refused activation leaves the install standing, shows on the checklist and is retried with backoff', async () => {
    pixel = null; // Shopify drops an app's pixel with the app
    refuse = 'user-errors';
    const store = await completeInstall(deps(), session('shpat_pixel_3'));
    assert.equal(store.status, 'active');
    assert.equal((await findSync(rt.db.pool, store.id))?.status, 'queued');
    const failed = (await findPixelState(rt.db.pool, store.id))!;
    assert.equal(failed.status, 'failed');
    assert.match(failed.lastError ?? '', /INVALID_SETTINGS \(webPixel\.settings\) Settings do not match the definition/);
    assert.ok(failed.nextAttemptAt && failed.nextAttemptAt.getTime() > Date.now() + 9 * MINUTE);
    assert.match(await trackingDetail(store), /^Storefront tracking not activated: Shopify refused the web pixel: INVALID_SETTINGS/);

    const calls = stub.calls.length;
    assert.equal(await retryPixelActivations(deps()), 0, 'not before its retry time');
    assert.equal(stub.calls.length, calls);

    refuse = 'access-denied';
    assert.equal(await retryPixelActivations(deps(), { now: new Date(Date.now() + 11 * MINUTE) }), 0);
    const again = (await findPixelState(rt.db.pool, store.id))!;
    assert.deepEqual([again.status, again.attempts], ['failed', 2]);
    assert.match(again.lastError ?? '', /Access denied for webPixelCreate/);
    assert.ok(again.nextAttemptAt!.getTime() > Date.now() + 19 * MINUTE, 'the wait doubles');

    refuse = 'no';
    assert.equal(await retryPixelActivations(deps(), { now: new Date(Date.now() + 21 * MINUTE) }), 1);
    assert.equal((await findPixelState(rt.db.pool, store.id))?.status, 'active');
    assert.deepEqual(JSON.parse(pixel!.settings), { appUrl: 'https://storeflow.example.com', publicKey: store.publicKey });
  });

  test('a changed public key, or a store installed before the pixel existed, is sent the settings on the next pass', async () => {
    const { rows } = await rt.db.pool.query<{ id: string }>("UPDATE stores SET public_key = 'pk_rotated_for_pixel_test' WHERE domain = $1 RETURNING id", [SHOP]);
    assert.equal(await retryPixelActivations(deps()), 1);
    assert.equal(JSON.parse(pixel!.settings).publicKey, 'pk_rotated_for_pixel_test');
    assert.equal(await retryPixelActivations(deps()), 0);

    await rt.db.pool.query('DELETE FROM shopify_web_pixels WHERE store_id = $1', [rows[0]!.id]);
    const updates = pixelCalls('webPixelUpdate').length;
    assert.equal(await retryPixelActivations(deps()), 1);
    assert.equal(pixelCalls('webPixelUpdate').length, updates + 1);
  });
});
