// Saves what connectors report about a store's platform state. Connectors return these records
// rather than writing, so every write of theirs goes through here.
import type { Queryable } from '../db/pool.ts';
import type { PlatformRecord } from '../model/installation.ts';
import { requestSync } from '../db/repositories/catalog-syncs.ts';
import { recordRefreshError, saveTokenExpiry, swapRefreshedToken } from '../db/repositories/shopify-tokens.ts';
import { recordPixelActivated, recordPixelFailed } from '../db/repositories/shopify-web-pixels.ts';

/** Saves one record; false when a guarded write did not take (a token swap that lost to an uninstall). */
export async function savePlatformRecord(db: Queryable, r: PlatformRecord): Promise<boolean> {
  switch (r.kind) {
    case 'catalog-sync-requested':
      await requestSync(db, r.storeId);
      return true;
    case 'shopify-token-expiry':
      await saveTokenExpiry(db, r.storeId, r);
      return true;
    case 'shopify-token-refreshed':
      return swapRefreshedToken(db, r.storeId, r.previousSealed, r);
    case 'shopify-token-refresh-failed':
      await recordRefreshError(db, r.storeId, r.message);
      return true;
    case 'shopify-pixel-activated':
      await recordPixelActivated(db, r.storeId, r);
      return true;
    case 'shopify-pixel-failed':
      await recordPixelFailed(db, r.storeId, r.message);
      return true;
    default:
      return assertNever(r);
  }
}

export async function savePlatformRecords(db: Queryable, records: readonly PlatformRecord[] = []): Promise<void> {
  for (const r of records) await savePlatformRecord(db, r);
}

function assertNever(r: never): never {
  throw new Error(`unknown platform record ${JSON.stringify(r)}`);
}
