// A shopper asks to hear when a variant is back: the person is found or created like an event's
// profile, and the request kept for the back-in-stock flow.
import type pg from 'pg';
import type { StoreId } from '../model/ids.ts';
import type { ProfileIdentity } from '../model/profile.ts';
import { withTransaction } from '../db/pool.ts';
import { resolveProfiles } from './resolve-profiles.ts';
import { locateVariants } from '../db/repositories/catalog-lookups.ts';
import { upsertBackInStockRequest } from '../db/repositories/back-in-stock.ts';

/** How long a request waits for stock before it lapses. */
export const BACK_IN_STOCK_DAYS = 90;

export type BackInStockOutcome = 'recorded' | 'unknown-variant' | 'ambiguous-variant';

export async function requestBackInStock(
  pool: pg.Pool,
  storeId: StoreId,
  r: { profile: ProfileIdentity; variantExternalId: string; channels: string[]; now?: Date },
): Promise<BackInStockOutcome> {
  const now = r.now ?? new Date();
  return withTransaction(pool, async (tx) => {
    const located = await locateVariants(tx, storeId, [r.variantExternalId]);
    if (located.length === 0) return 'unknown-variant';
    if (located.length > 1) return 'ambiguous-variant';
    const [profileId] = await resolveProfiles(tx, storeId, [r.profile]);
    await upsertBackInStockRequest(tx, {
      storeId,
      profileId: profileId!,
      variantId: located[0]!.variantId,
      channels: [...new Set(r.channels.map((c) => c.toLowerCase()))].sort(),
      now,
      expiresAt: new Date(now.getTime() + BACK_IN_STOCK_DAYS * 24 * 3_600_000),
    });
    return 'recorded';
  });
}
