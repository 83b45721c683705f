// Pulls a store's catalog through its connector a page at a time. Each page is ingested, then
// its cursor stored: a worker killed mid-sync leaves a cursor the next claim resumes from, and
// re-ingesting the page it was on is harmless (upserts, stale checks).
import type { Runtime } from '../runtime.ts';
import { findStoreById, readSealedAccessToken } from '../db/repositories/stores.ts';
import { claimSync, finishSync, recordPage } from '../db/repositories/catalog-syncs.ts';
import { ingestCatalog } from '../ingest/ingest-catalog.ts';

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
    try {
      const sealed = await readSealedAccessToken(rt.db.pool, store.id);
      const pages = connector.fetchCatalog({ store, accessToken: sealed ? rt.secrets.open(sealed) : null, cursor: sync.cursor });
      for await (const page of pages) {
        await ingestCatalog(rt.db.pool, rt.signals, store.id, page.products);
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
  }
  return finished;
}
