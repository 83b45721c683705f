// The store's own link hosts (DESIGN §7 "Public key"), kept apart from stores.ts's row mapping
// because only the places that vet links read them.
import type { StoreId } from '../../model/ids.ts';
import type { Queryable } from '../pool.ts';
import { ownHosts } from '../../model/store-urls.ts';

export type StoreLinkDomains = {
  domain: string;
  /** The merchant's own list. */
  storefrontDomains: string[];
  /** What the platform reports, kept by the catalog sync. */
  platformDomains: string[];
};

/** The platform domain and the storefront domains listed for the store; undefined for no such store. */
export async function storeLinkDomains(db: Queryable, storeId: StoreId): Promise<StoreLinkDomains | undefined> {
  const { rows } = await db.query<{ domain: string; storefront_domains: string[]; platform_storefront_domains: string[] }>(
    'SELECT domain, storefront_domains, platform_storefront_domains FROM stores WHERE id = $1',
    [storeId],
  );
  return rows[0] && { domain: rows[0].domain, storefrontDomains: rows[0].storefront_domains, platformDomains: rows[0].platform_storefront_domains };
}

/** Every listed host, the merchant's and the platform's. */
const listedHosts = (links: StoreLinkDomains | undefined): string[] => [...(links?.storefrontDomains ?? []), ...(links?.platformDomains ?? [])];

/**
 * Every host the store's links may point at: its platform domain, the merchant's list and what
 * the platform reports. The one answer for every place that vets links (track, Klaviyo's
 * client paths, message rendering).
 */
export async function storeHosts(db: Queryable, store: { id: StoreId; domain: string }): Promise<string[]> {
  return ownHosts(store, listedHosts(await storeLinkDomains(db, store.id)));
}

/** Replaces what the platform reports; the merchant's list is left alone. */
export async function setPlatformStorefrontDomains(db: Queryable, storeId: StoreId, domains: string[]): Promise<void> {
  await db.query(
    'UPDATE stores SET platform_storefront_domains = $2, updated_at = now() WHERE id = $1 AND platform_storefront_domains IS DISTINCT FROM $2',
    [storeId, domains],
  );
}

export async function setStorefrontDomains(db: Queryable, storeId: StoreId, domains: string[]): Promise<void> {
  await db.query('UPDATE stores SET storefront_domains = $2, updated_at = now() WHERE id = $1', [storeId, domains]);
}
