// Saves what connectors report about a store's platform state. Connectors return these records
// rather than writing, so every write of theirs goes through here.
import type { Queryable } from '../db/pool.ts';
import type { PlatformRecord } from '../model/installation.ts';
import { saveTokenExpiry } from '../db/repositories/shopify-tokens.ts';
import { recordPixelActivated, recordPixelFailed } from '../db/repositories/shopify-web-pixels.ts';

export async function savePlatformRecord(db: Queryable, r: PlatformRecord): Promise<void> {
  switch (r.kind) {
    case 'shopify-token-expiry':
      return saveTokenExpiry(db, r.storeId, r);
    case 'shopify-pixel-activated':
      return recordPixelActivated(db, r.storeId, r);
    case 'shopify-pixel-failed':
      return recordPixelFailed(db, r.storeId, r.message);
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
