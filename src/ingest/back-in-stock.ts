// A shopper asks to hear when a variant is back: the person is found or created like an event's
// profile, and the request kept for the back-in-stock flow.
import type pg from 'pg';
import type { StoreId } from '../model/ids.ts';
import type { ProfileIdentity } from '../model/profile.ts';
import { withTransaction } from '../db/pool.ts';
import { resolveProfiles } from './resolve-profiles.ts';
import { locateVariants } from '../db/repositories/catalog-lookups.ts';
import { findStoreByPublicKey } from '../db/repositories/stores.ts';
import { openRequestCount, requestDays, setRequestDays, upsertBackInStockRequest, type BackInStockSource } from '../db/repositories/back-in-stock.ts';

/** Open requests one shopper may hold through a public form: the form cannot be used to flood one inbox. */
export const PUBLIC_OPEN_REQUESTS = 20;

export type BackInStockOutcome = 'recorded' | 'unknown-variant' | 'ambiguous-variant' | 'limited';

export async function requestBackInStock(
  pool: pg.Pool,
  storeId: StoreId,
  r: { profile: ProfileIdentity; variantExternalId: string; channels: string[]; quantity?: number; source?: BackInStockSource; now?: Date },
): Promise<BackInStockOutcome> {
  const now = r.now ?? new Date();
  return withTransaction(pool, async (tx) => {
    const located = await locateVariants(tx, storeId, [r.variantExternalId]);
    if (located.length === 0) return 'unknown-variant';
    if (located.length > 1) return 'ambiguous-variant';
    const [profileId] = await resolveProfiles(tx, storeId, [r.profile]);
    const publicForm = r.source === 'storefront' || r.source === 'theme-block';
    if (publicForm && (await openRequestCount(tx, storeId, profileId!, now)) >= PUBLIC_OPEN_REQUESTS) return 'limited';
    const days = await requestDays(tx, storeId);
    await upsertBackInStockRequest(tx, {
      storeId,
      profileId: profileId!,
      variantId: located[0]!.variantId,
      channels: [...new Set(r.channels.map((c) => c.toLowerCase()))].sort(),
      now,
      expiresAt: new Date(now.getTime() + days * 24 * 3_600_000),
      quantity: r.quantity ?? 1,
      source: r.source ?? 'api',
    });
    return 'recorded';
  });
}

export type BackInStockSettings = { requestDays: number };

export async function backInStockSettings(pool: pg.Pool, storeId: StoreId): Promise<BackInStockSettings> {
  return { requestDays: await requestDays(pool, storeId) };
}

/** A new window applies to requests made from now on; those waiting keep the date they were given. */
export async function saveBackInStockSettings(pool: pg.Pool, storeId: StoreId, s: BackInStockSettings): Promise<BackInStockSettings> {
  await setRequestDays(pool, storeId, s.requestDays);
  return s;
}

/** The storefront form: the store is found by its public key, which is all the caller proves. */
export async function requestFromStorefront(
  pool: pg.Pool,
  publicKey: string,
  r: Parameters<typeof requestBackInStock>[2],
): Promise<BackInStockOutcome | 'invalid-key'> {
  const store = await findStoreByPublicKey(pool, publicKey);
  if (!store || store.status !== 'active') return 'invalid-key';
  return requestBackInStock(pool, store.id, r);
}
