// The storefront hosts a platform reports for a store (its primary or custom domain), read at
// each catalog sync: links to them count as the store's own. The connector only reads them; they
// are checked and saved here.
import type { Queryable } from '../db/pool.ts';
import type { StoreId } from '../model/ids.ts';
import { StorefrontDomain } from '../model/store-urls.ts';
import { setPlatformStorefrontDomains, setStorefrontDomains, storeHosts, storeLinkDomains, type StoreLinkDomains } from '../db/repositories/store-links.ts';

/** At most this many hosts are kept per store; a platform listing more is cut short. */
const MAX_HOSTS = 20;

/** Replaces the store's platform-reported hosts with the valid ones among `reported`. */
export async function recordStorefrontHosts(deps: { pool: Queryable }, storeId: StoreId, reported: readonly string[]): Promise<void> {
  const hosts = reported.flatMap((h) => {
    const parsed = StorefrontDomain.safeParse(h);
    return parsed.success ? [parsed.data] : [];
  });
  await setPlatformStorefrontDomains(deps.pool, storeId, [...new Set(hosts)].slice(0, MAX_HOSTS));
}

/** Every host a link of this store may point at (its domain, the ones the merchant listed, the platform's). */
export function linkHosts(deps: { pool: Queryable }, store: { id: StoreId; domain: string }): Promise<string[]> {
  return storeHosts(deps.pool, store);
}

export function storefrontDomains(deps: { pool: Queryable }, storeId: StoreId): Promise<StoreLinkDomains | undefined> {
  return storeLinkDomains(deps.pool, storeId);
}

/** The merchant's own list replaces the previous one; the platform-reported hosts are kept apart. */
export async function setMerchantStorefrontDomains(deps: { pool: Queryable }, storeId: StoreId, domains: string[]): Promise<void> {
  await setStorefrontDomains(deps.pool, storeId, domains);
}
