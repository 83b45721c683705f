// The store a request names, for the web layer: routes call these rather than the repository.
import type { Queryable } from '../db/pool.ts';
import type { StoreId } from '../model/ids.ts';
import type { Platform, Store } from '../model/store.ts';
import { findStoreByDomain, findStoreById, findStoreByPublicKey, findStoreByShop } from '../db/repositories/stores.ts';

type Deps = { pool: Queryable };

/** The store a platform names by domain or external id, whatever its status; undefined when we never held it. */
export function storeForShop(deps: Deps, platform: Platform, shop: string): Promise<Store | undefined> {
  return findStoreByShop(deps.pool, platform, shop);
}

export function storeForDomain(deps: Deps, platform: Platform, domain: string): Promise<Store | undefined> {
  return findStoreByDomain(deps.pool, platform, domain);
}

export function storeById(deps: Deps, id: StoreId): Promise<Store | undefined> {
  return findStoreById(deps.pool, id);
}

/** The store a storefront script names by its public key (not a secret: it is on every page of the shop). */
export function storeForPublicKey(deps: Deps, publicKey: string): Promise<Store | undefined> {
  return findStoreByPublicKey(deps.pool, publicKey);
}
