// What the support console shows about a store: who it is, its catalog and sync state, its
// flows and which catalog drives the low-inventory trigger.
import type pg from 'pg';
import type { StoreId } from '../model/ids.ts';
import type { Store } from '../model/store.ts';
import type { Flow } from '../model/flow.ts';
import { findStoreById } from '../db/repositories/stores.ts';
import { findSync, type CatalogSync } from '../db/repositories/catalog-syncs.ts';
import { catalogReadiness, type CatalogReadiness } from '../db/repositories/support.ts';
import { findStores, type StoreHit } from '../db/repositories/merchant-reads.ts';
import { listStoreFlows } from '../flows/flow-service.ts';

export type StoreOverview = { store: Store; catalog: CatalogReadiness; sync: CatalogSync | undefined; flows: Flow[] };

export async function searchStores(pool: pg.Pool, text: string): Promise<StoreHit[]> {
  const q = text.trim();
  return q ? findStores(pool, q) : [];
}

export async function storeOverview(pool: pg.Pool, storeId: StoreId): Promise<StoreOverview | undefined> {
  const store = await findStoreById(pool, storeId);
  if (!store) return undefined;
  const [catalog, sync, flows] = await Promise.all([catalogReadiness(pool, storeId), findSync(pool, storeId), listStoreFlows(pool, store)]);
  return { store, catalog, sync, flows };
}
