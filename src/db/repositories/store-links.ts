// The store's own link hosts (DESIGN §7 "Public key"), kept apart from stores.ts's row mapping
// because only the places that vet links read them.
import type { StoreId } from '../../model/ids.ts';
import type { Queryable } from '../pool.ts';

/** The platform domain and the storefront domains the merchant listed; undefined for no such store. */
export async function storeLinkDomains(db: Queryable, storeId: StoreId): Promise<{ domain: string; storefrontDomains: string[] } | undefined> {
  const { rows } = await db.query<{ domain: string; storefront_domains: string[] }>(
    'SELECT domain, storefront_domains FROM stores WHERE id = $1',
    [storeId],
  );
  return rows[0] && { domain: rows[0].domain, storefrontDomains: rows[0].storefront_domains };
}

export async function setStorefrontDomains(db: Queryable, storeId: StoreId, domains: string[]): Promise<void> {
  await db.query('UPDATE stores SET storefront_domains = $2, updated_at = now() WHERE id = $1', [storeId, domains]);
}
