// Shopify's scheduled work, declared to the worker through the connector: token refresh ahead of
// expiry, a daily full catalog pull that catches whatever webhooks were missed (Shopify drops a
// subscription after repeated failures, and deliveries can be lost), and retries of refused web
// pixel activations.
import type { Shopify } from '@shopify/shopify-api';
import { listInstalledShopifyStores } from '../../src/db/repositories/shopify-reads.ts';
import type { JobHost, ScheduledJob } from '../connector.ts';
import { refreshExpiringTokens } from './token-refresh.ts';
import { retryPixelActivations } from './web-pixel-activation.ts';

export const ShopifyJobs = {
  refreshTokens: 'shopify:refresh-tokens',
  reconcileCatalogs: 'shopify:reconcile-catalogs',
  activatePixels: 'shopify:activate-pixels',
} as const;

/** Queues a catalog pull for every installed shop; returns how many. */
export async function queueReconciliation(host: Pick<JobHost, 'pool' | 'record'>): Promise<number> {
  const stores = await listInstalledShopifyStores(host.pool);
  for (const storeId of stores) await host.record({ kind: 'catalog-sync-requested', storeId });
  return stores.length;
}

export function shopifyJobs(api: Shopify): ScheduledJob[] {
  return [
    { name: ShopifyJobs.refreshTokens, every: '5 minutes', run: (host) => refreshExpiringTokens({ ...host, api }) },
    { name: ShopifyJobs.reconcileCatalogs, every: '1 day', run: (host) => queueReconciliation(host) },
    // Each shop's own backoff (10 minutes doubling to a day) decides who is tried on a pass.
    { name: ShopifyJobs.activatePixels, every: '10 minutes', run: (host) => retryPixelActivations({ ...host, api }) },
  ];
}
