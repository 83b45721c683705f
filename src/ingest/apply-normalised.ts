// Applies what a connector made of one webhook delivery. Each part is recorded under its own
// delivery id in the same transaction as its write, so a retried delivery redoes only what
// did not commit.
import type pg from 'pg';
import type { Normalised } from '../model/normalised.ts';
import type { Store } from '../model/store.ts';
import { markProductsDeleted } from '../db/repositories/catalog.ts';
import { markUninstalled } from '../db/repositories/stores.ts';
import { erasePersonalData, exportPersonalData } from '../db/repositories/personal-data.ts';
import { ingestCatalog, ingestStockLevels } from './ingest-catalog.ts';
import { ingestEvents } from './ingest-events.ts';
import { ingestProfiles } from './ingest-profiles.ts';
import { DUPLICATE, transactOnce, type Delivery } from './record-delivery.ts';

/** Each part of a delivery has its own delivery id: the delivery's own when it is alone. */
export function partDelivery(delivery: Delivery, index: number, count: number): Delivery {
  return { source: delivery.source, id: count === 1 ? delivery.id : `${delivery.id}#${index}` };
}

/** The platform's own time orders updates when the payload carries none per item. */
export function withSourceTime<T extends { updatedAt?: Date | undefined }>(products: T[], sourceTime: Date | null | undefined): T[] {
  return sourceTime ? products.map((p) => ({ ...p, updatedAt: p.updatedAt ?? sourceTime })) : products;
}

export async function applyNormalised(
  deps: { pool: pg.Pool },
  store: Store,
  parts: Normalised[],
  delivery: Delivery,
  opts: { sourceTime?: Date | null } = {},
): Promise<string[]> {
  const outcomes: string[] = [];
  for (const [i, part] of parts.entries()) outcomes.push(await applyPart(deps, store, part, partDelivery(delivery, i, parts.length), opts.sourceTime ?? null));
  return outcomes;
}

export async function applyPart(
  deps: { pool: pg.Pool },
  store: Store,
  part: Normalised,
  d: Delivery,
  sourceTime: Date | null,
): Promise<string> {
  switch (part.kind) {
    case 'catalog': {
      const products = withSourceTime(part.products, sourceTime);
      const r = await ingestCatalog(deps.pool, store.id, products, { delivery: d });
      return r.duplicate ? 'catalog: duplicate' : `catalog: ${r.upserted} upserted, ${r.stale} stale`;
    }
    case 'stock-levels': {
      const r = await ingestStockLevels(deps.pool, store.id, part.levels, { delivery: d });
      return r.duplicate ? 'stock levels: duplicate' : `stock levels: ${r.applied} applied, ${part.levels.length - r.applied} stale`;
    }
    case 'product-deleted': {
      const r = await transactOnce(deps.pool, store.id, d, (tx) => markProductsDeleted(tx, store.id, part.externalIds, sourceTime ?? new Date()));
      return r === DUPLICATE ? 'delete: duplicate' : `delete: ${r.length} products`;
    }
    case 'events': {
      const r = await ingestEvents(deps.pool, store.id, part.events, { delivery: d });
      return r.duplicateDelivery ? 'events: duplicate' : `events: ${r.accepted} accepted, ${r.duplicates} duplicates`;
    }
    case 'profiles': {
      const r = await ingestProfiles(deps.pool, store.id, part.profiles, { delivery: d });
      return r.duplicateDelivery ? 'profiles: duplicate' : `profiles: ${r.upserted} upserted`;
    }
    case 'uninstalled': {
      const r = await transactOnce(deps.pool, store.id, d, (tx) => markUninstalled(tx, store.id, sourceTime));
      if (r === DUPLICATE) return 'uninstalled: duplicate';
      return r ? 'uninstalled' : 'uninstalled: stale, triggered before the latest install';
    }
    case 'erase-personal-data': {
      const r = await transactOnce(deps.pool, store.id, d, (tx) => erasePersonalData(tx, store.id, part.people));
      return r === DUPLICATE ? 'erase: duplicate' : `erase: ${r.profiles} profiles, ${r.events} events`;
    }
    case 'export-personal-data': {
      const r = await transactOnce(deps.pool, store.id, d, (tx) => exportPersonalData(tx, store.id, part.requestId, part.people));
      return r === DUPLICATE ? 'export: duplicate' : `export: ${r.profiles} profiles, ${r.events} events`;
    }
    case 'ignored':
      return `ignored: ${part.reason}`;
  }
}
