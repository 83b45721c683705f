// Pulls a store's catalog through its connector a page at a time. Each page is ingested, then
// its cursor stored: a worker killed mid-sync leaves a cursor the next claim resumes from, and
// re-ingesting the page it was on is harmless (upserts, stale checks).
import type { Runtime } from '../runtime.ts';
import { findStoreById, readSealedAccessToken } from '../db/repositories/stores.ts';
import { claimSync, finishSync, recordPage } from '../db/repositories/catalog-syncs.ts';
import { ingestCatalog } from '../ingest/ingest-catalog.ts';
import { recordStorefrontHosts } from '../stores/storefront-hosts.ts';
import type { Connector } from '../../connectors/connector.ts';
import type { Store } from '../model/store.ts';

/**
 * Reads the storefront hosts the platform reports and records them, so links to the store's real
 * (custom) domain count as its own. A failure here is logged and the sync goes on: the hosts from
 * the last good read stay.
 */
async function readStorefrontHosts(rt: Runtime, connector: Connector, store: Store, accessToken: string | null): Promise<void> {
  if (!connector.storefrontHosts) return;
  try {
    await recordStorefrontHosts({ pool: rt.db.pool }, store.id, await connector.storefrontHosts({ store, accessToken }));
  } catch (err) {
    rt.logger.warn({ err, storeId: store.id, platform: store.platform }, 'could not read the storefront hosts');
  }
}

/** A running sync whose heartbeat is older than this is taken over: its worker is presumed dead. */
export const STALE_AFTER_MS = 2 * 60_000;

/**
 * Works through claimable syncs; returns how many it finished. `onPage` runs after every stored
 * page, beside the sync's own heartbeat (the worker renews its job lock there).
 */
export async function runCatalogSyncs(
  rt: Runtime,
  opts: { staleAfterMs?: number; maxSyncs?: number; onPage?: () => Promise<unknown> } = {},
): Promise<number> {
  let finished = 0;
  for (let n = 0; n < (opts.maxSyncs ?? 10); n++) {
    const sync = await claimSync(rt.db.pool, opts.staleAfterMs ?? STALE_AFTER_MS);
    if (!sync) break;
    const store = await findStoreById(rt.db.pool, sync.storeId);
    const connector = store && rt.connectors[store.platform];
    if (!store || !connector || store.status !== 'active') {
      await finishSync(rt.db.pool, sync.storeId, store ? `store is ${store.status} or has no connector` : 'store not found');
      continue;
    }
    const sealed = await readSealedAccessToken(rt.db.pool, store.id);
    const accessToken = sealed ? rt.secrets.open(sealed) : null;
    try {
      const pages = connector.fetchCatalog({ store, accessToken, cursor: sync.cursor });
      for await (const page of pages) {
        await ingestCatalog(rt.db.pool, store.id, page.products);
        await recordPage(rt.db.pool, store.id, page.cursor, page.products.length);
        await opts.onPage?.();
      }
      await finishSync(rt.db.pool, store.id, null);
      finished++;
      rt.logger.info({ storeId: store.id, platform: store.platform }, 'catalog sync finished');
    } catch (err) {
      rt.logger.warn({ err, storeId: store.id }, 'catalog sync failed');
      await finishSync(rt.db.pool, store.id, (err as Error).message);
    }
    // After the pages, so the catalog goes first within the store's API budget.
    await readStorefrontHosts(rt, connector, store, accessToken);
  }
  return finished;
}
