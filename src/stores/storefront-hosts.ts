// The storefront hosts a platform reports for a store (its primary or custom domain), read at
// each catalog sync: links to them count as the store's own. The connector only reads them; they
// are checked and saved here.
import type { Queryable } from '../db/pool.ts';
import type { StoreId } from '../model/ids.ts';
import { StorefrontDomain } from '../model/store-urls.ts';
import { setPlatformStorefrontDomains } from '../db/repositories/store-links.ts';

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
