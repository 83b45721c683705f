// Applies what a connector made of one webhook delivery. Each part is recorded under its own
// delivery id in the same transaction as its write, so a retried delivery redoes only what
// did not commit.
import type pg from 'pg';
import type { Normalised } from '../model/normalised.ts';
import type { Store } from '../model/store.ts';
import { markProductsDeleted } from '../db/repositories/catalog.ts';
import { markUninstalled } from '../db/repositories/stores.ts';
import { erasePersonalData, exportPersonalData } from '../db/repositories/personal-data.ts';
import { ingestCatalog } from './ingest-catalog.ts';
import { ingestEvents } from './ingest-events.ts';
import { ingestProfiles } from './ingest-profiles.ts';
import { DUPLICATE, transactOnce, type Delivery } from './record-delivery.ts';
import type { IngestSignals } from './signals.ts';

export async function applyNormalised(
  deps: { pool: pg.Pool; signals: IngestSignals },
  store: Store,
  parts: Normalised[],
  delivery: Delivery,
  opts: { sourceTime?: Date | null } = {},
): Promise<string[]> {
  const outcomes: string[] = [];
  for (const [i, part] of parts.entries()) {
    const d: Delivery = { source: delivery.source, id: parts.length === 1 ? delivery.id : `${delivery.id}#${i}` };
    switch (part.kind) {
      case 'catalog': {
        // The platform's own time orders updates when the payload carries none per item.
        const products = opts.sourceTime ? part.products.map((p) => ({ ...p, updatedAt: p.updatedAt ?? opts.sourceTime! })) : part.products;
        const r = await ingestCatalog(deps.pool, deps.signals, store.id, products, { delivery: d });
        outcomes.push(r.duplicate ? 'catalog: duplicate' : `catalog: ${r.upserted} upserted, ${r.stale} stale`);
        break;
      }
      case 'product-deleted': {
        const r = await transactOnce(deps.pool, store.id, d, (tx) => markProductsDeleted(tx, store.id, part.externalIds, opts.sourceTime ?? new Date()));
        outcomes.push(r === DUPLICATE ? 'delete: duplicate' : `delete: ${r.length} products`);
        break;
      }
      case 'events': {
        const r = await ingestEvents(deps.pool, store.id, part.events, { delivery: d });
        outcomes.push(r.duplicateDelivery ? 'events: duplicate' : `events: ${r.accepted} accepted, ${r.duplicates} duplicates`);
        break;
      }
      case 'profiles': {
        const r = await ingestProfiles(deps.pool, store.id, part.profiles, { delivery: d });
        outcomes.push(r.duplicateDelivery ? 'profiles: duplicate' : `profiles: ${r.upserted} upserted`);
        break;
      }
      case 'uninstalled': {
        const r = await transactOnce(deps.pool, store.id, d, (tx) => markUninstalled(tx, store.id));
        outcomes.push(r === DUPLICATE ? 'uninstalled: duplicate' : 'uninstalled');
        break;
      }
      case 'erase-personal-data': {
        const r = await transactOnce(deps.pool, store.id, d, (tx) => erasePersonalData(tx, store.id, part.people));
        outcomes.push(r === DUPLICATE ? 'erase: duplicate' : `erase: ${r.profiles} profiles, ${r.events} events`);
        break;
      }
      case 'export-personal-data': {
        const r = await transactOnce(deps.pool, store.id, d, (tx) => exportPersonalData(tx, store.id, part.requestId, part.people));
        outcomes.push(r === DUPLICATE ? 'export: duplicate' : `export: ${r.profiles} profiles, ${r.events} events`);
        break;
      }
      case 'ignored':
        outcomes.push(`ignored: ${part.reason}`);
        break;
    }
  }
  return outcomes;
}
