// The pages of a store's own data that the API, the Klaviyo-compatible API and the app list:
// the web layer reads through these, so a repository's shape can change without touching a route.
import type { Queryable } from '../db/pool.ts';
import type { ProductId, ProfileId, StoreId } from '../model/ids.ts';
import type { Product } from '../model/catalog.ts';
import type { StoredEvent } from '../model/event.ts';
import type { Profile } from '../model/profile.ts';
import { listProducts } from '../db/repositories/catalog.ts';
import { liveProductsByExternalIds, locateVariants, type VariantLocation } from '../db/repositories/catalog-lookups.ts';
import { listEvents, type EventQuery } from '../db/repositories/events.ts';
import { listProfiles, type ProfileQuery } from '../db/repositories/profiles.ts';
import { identityById, type StoredIdentity } from '../db/repositories/profile-lookups.ts';
import { listMessages, type MessageQuery } from '../db/repositories/messages.ts';

type Deps = { pool: Queryable };

/** Live products in id order after `after`; ask for one more than a page to learn whether another follows. */
export function productsPage(deps: Deps, storeId: StoreId, after: ProductId | undefined, limit: number): Promise<Product[]> {
  return listProducts(deps.pool, storeId, after, limit);
}

/** Live products by the platform's ids, keyed by that id; ids the store does not hold are absent. */
export function productsByExternalIds(deps: Deps, storeId: StoreId, externalIds: string[]): Promise<Map<string, Product>> {
  return liveProductsByExternalIds(deps.pool, storeId, externalIds);
}

/** Which product holds each of these variants (by the platform's variant id). */
export function variantsByExternalIds(deps: Deps, storeId: StoreId, variantExternalIds: string[]): Promise<VariantLocation[]> {
  return locateVariants(deps.pool, storeId, variantExternalIds);
}

export function eventsPage(deps: Deps, storeId: StoreId, query: EventQuery): Promise<StoredEvent[]> {
  return listEvents(deps.pool, storeId, query);
}

export function profilesPage(deps: Deps, storeId: StoreId, query: ProfileQuery): Promise<Profile[]> {
  return listProfiles(deps.pool, storeId, query);
}

/** A profile's identifiers by our id; undefined for an id the store does not hold. */
export function profileIdentity(deps: Deps, storeId: StoreId, id: ProfileId | string): Promise<StoredIdentity | undefined> {
  return identityById(deps.pool, storeId, id);
}

export function messagesPage(deps: Deps, storeId: StoreId, query: MessageQuery): ReturnType<typeof listMessages> {
  return listMessages(deps.pool, storeId, query);
}
