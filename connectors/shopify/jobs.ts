// Shopify's scheduled work, wired into the worker: token refresh ahead of expiry, a daily full
// catalog pull that catches whatever webhooks were missed (Shopify drops a subscription after
// repeated failures, and deliveries can be lost), and retries of refused web pixel activations.
import type { Agenda } from 'agenda';
import type { Logger } from 'pino';
import type pg from 'pg';
import type { SecretBox } from '../../src/security/secret-box.ts';
import { requestSync } from '../../src/db/repositories/catalog-syncs.ts';
import { listInstalledShopifyStores } from '../../src/db/repositories/shopify-tokens.ts';
import type { Connectors } from '../registry.ts';
import type { ShopifyConnector } from './shopify-connector.ts';
import { refreshExpiringTokens } from './token-refresh.ts';
import { retryPixelActivations } from './web-pixel-activation.ts';

export const ShopifyJobs = {
  refreshTokens: 'shopify:refresh-tokens',
  reconcileCatalogs: 'shopify:reconcile-catalogs',
  activatePixels: 'shopify:activate-pixels',
} as const;

type Deps = { db: { pool: pg.Pool }; secrets: SecretBox; logger: Logger; connectors: Connectors };

/** Queues a catalog pull for every installed shop; returns how many. */
export async function queueReconciliation(pool: pg.Pool): Promise<number> {
  const stores = await listInstalledShopifyStores(pool);
  for (const id of stores) await requestSync(pool, id);
  return stores.length;
}

export async function scheduleShopifyJobs(agenda: Agenda, rt: Deps): Promise<void> {
  const connector = rt.connectors.shopify as ShopifyConnector | undefined;
  if (!connector?.api) return;
  const deps = { pool: rt.db.pool, secrets: rt.secrets, logger: rt.logger, api: connector.api };
  agenda.define(ShopifyJobs.refreshTokens, async () => {
    await refreshExpiringTokens(deps);
  }, { concurrency: 1 });
  agenda.define(ShopifyJobs.reconcileCatalogs, async () => {
    await queueReconciliation(rt.db.pool);
  }, { concurrency: 1 });
  agenda.define(ShopifyJobs.activatePixels, async () => {
    await retryPixelActivations(deps);
  }, { concurrency: 1 });
  await agenda.every('5 minutes', ShopifyJobs.refreshTokens);
  await agenda.every('1 day', ShopifyJobs.reconcileCatalogs);
  // Each shop's own backoff (10 minutes doubling to a day) decides who is tried on a pass.
  await agenda.every('10 minutes', ShopifyJobs.activatePixels);
}
