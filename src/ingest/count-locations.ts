// The merchant's choice of which locations count toward stock. Changing it recounts every
// affected variant and product in a few set-based statements and records each change as an
// inventory observation of cause "recount". A recount never starts a low-inventory flow: a
// threshold, like this choice, applies only to stock changes the source reports after it
// (DESIGN §5). An item a recount put at or below a threshold counts as already low, so the next
// sale does not fire either; it fires again once stock rises above the threshold and falls.
import type pg from 'pg';
import type { StoreId } from '../model/ids.ts';
import type { InventoryChange } from '../model/catalog.ts';
import { withTransaction } from '../db/pool.ts';
import { insertObservations } from '../db/repositories/catalog.ts';
import { listLocations, recountForLocations, setLocationsCounted, type Location } from '../db/repositories/locations.ts';

export type CountLocationsResult =
  | { ok: true; locations: Location[]; changed: string[]; recounted: number }
  | { ok: false; unknown: string[] };

export async function countLocations(
  pool: pg.Pool,
  storeId: StoreId,
  changes: Array<{ locationId: string; counts: boolean }>,
  now: Date = new Date(),
): Promise<CountLocationsResult> {
  const result = await withTransaction(pool, async (tx) => {
    const set = await setLocationsCounted(tx, storeId, changes);
    if (set.unknown.length > 0) return { unknown: set.unknown, changed: [], recounted: [] };
    const recounted: InventoryChange[] = await recountForLocations(tx, storeId, set.changed, now);
    await insertObservations(tx, recounted, 'recount');
    return { unknown: [], changed: set.changed, recounted };
  });
  if (result.unknown.length > 0) return { ok: false, unknown: result.unknown };
  return { ok: true, locations: await listLocations(pool, storeId), changed: result.changed, recounted: result.recounted.length };
}

export type { Location };

/** The store's stock locations with what each holds and whether it counts, for the pages and the API. */
export function storeLocations(pool: pg.Pool, storeId: StoreId): Promise<Location[]> {
  return listLocations(pool, storeId);
}
