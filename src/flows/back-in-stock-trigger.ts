// The back-in-stock trigger (docs/inventory-flows.md): a variant's counted stock rising from
// below the flow's minimum to at least it opens an episode, once per restock; the episode
// releases batches of waiting shoppers, at most `perUnit` per unit in stock, oldest request
// first, at once and then every recount while the variant is in stock. It ends when the variant
// sells out again (or no one is left waiting). Each request is released once, whichever batch.
import type { Queryable } from '../db/pool.ts';
import type { StoreId } from '../model/ids.ts';
import { withTransaction } from '../db/pool.ts';
import type pg from 'pg';
import { findStoreById } from '../db/repositories/stores.ts';
import { findTriggerableFlows, type TriggerableFlow } from '../db/repositories/flows.ts';
import { flowVersionHistory } from '../db/repositories/flow-triggers.ts';
import {
  anyoneWaiting, dueEpisodes, endEpisode, endEpisodesOf, lockEpisode, openEpisode, releaseBatch, variantStockChanges,
} from '../db/repositories/back-in-stock-release.ts';
import { FlowDefinition } from './definition.ts';
import { firstMessageChannel } from './item-audience.ts';
import { lowInventoryAllowed, versionAt } from './low-inventory-trigger.ts';

type BackInStockTrigger = Extract<FlowDefinition['trigger'], { type: 'back-in-stock' }>;

/** Below the minimum before, at or above it now: one returned unit under a minimum of 5 does not count. */
export function restocks(trigger: Pick<BackInStockTrigger, 'minimum'>, c: { oldQuantity: number; newQuantity: number }): boolean {
  return c.oldQuantity < trigger.minimum && c.newQuantity >= trigger.minimum;
}

/**
 * One batch of an open episode, in the caller's transaction: the stock is read again under the
 * episode's lock; sold out ends the episode, else the oldest requests the budget allows are
 * released. Returns how many were.
 */
export async function releaseEpisode(db: Queryable, flow: TriggerableFlow, storeId: string, episodeId: string, now: Date): Promise<number> {
  const ep = await lockEpisode(db, storeId, episodeId);
  if (!ep) return 0;
  if (ep.stock === null || ep.stock <= 0) {
    await endEpisode(db, storeId, episodeId, 'sold out', now);
    return 0;
  }
  const def = FlowDefinition.parse(flow.definition);
  if (def.trigger.type !== 'back-in-stock') {
    await endEpisode(db, storeId, episodeId, 'flow changed', now);
    return 0;
  }
  const t = def.trigger;
  const released = await releaseBatch(db, {
    storeId,
    episodeId,
    variantId: ep.variantId,
    flowId: flow.id,
    version: flow.version,
    startStep: def.start,
    channel: firstMessageChannel(def),
    budget: ep.stock * t.perUnit,
    stock: ep.stock,
    now,
    nextReleaseAt: new Date(now.getTime() + t.recountMinutes * 60_000),
  });
  if (!(await anyoneWaiting(db, storeId, ep.variantId, now))) await endEpisode(db, storeId, episodeId, 'waitlist empty', now);
  return released;
}

/** After stock changes (the trigger queue): sold-out variants end their episodes; restocks open them and release the first batch. */
export async function enterBackInStock(db: Queryable, storeId: StoreId, observationIds: string[], now: Date): Promise<number> {
  // Without a live flow no episode can be open but a stopped flow's, which its next recount ends.
  const flows = await findTriggerableFlows(db, storeId, 'back-in-stock', null);
  if (flows.length === 0) return 0;
  const changes = await variantStockChanges(db, storeId, observationIds);
  if (changes.length === 0) return 0;
  await endEpisodesOf(db, storeId, [...new Set(changes.filter((c) => c.newQuantity <= 0).map((c) => c.variantId))], 'sold out', now);
  const store = await findStoreById(db, storeId);
  // The same stock data as low inventory: a custom catalog drives it once support enabled it.
  if (!store || !lowInventoryAllowed(store)) return 0;
  let released = 0;
  for (const flow of flows) {
    const history = await flowVersionHistory(db, storeId, flow.id);
    for (const c of changes) {
      // The minimum in force when the stock changed decides, as a low-inventory threshold does.
      const def = versionAt(history, c.observedAt);
      if (!def || def.trigger.type !== 'back-in-stock' || !restocks(def.trigger, c)) continue;
      const episodeId = await openEpisode(db, { storeId, flowId: flow.id, productId: c.productId, variantId: c.variantId, observationId: c.observationId, now });
      if (episodeId) released += await releaseEpisode(db, flow, storeId, episodeId, now);
    }
  }
  return released;
}

/** The recount schedule: every due episode releases its next batch (or ends), each in its own transaction. */
export async function runBackInStockRecounts(pool: pg.Pool, now: Date, limit = 500): Promise<number> {
  let released = 0;
  for (const due of await dueEpisodes(pool, now, limit)) {
    released += await withTransaction(pool, async (tx) => {
      const locked = await lockEpisode(tx, due.storeId, due.id);
      if (!locked) return 0;
      const flow = (await findTriggerableFlows(tx, due.storeId as StoreId, 'back-in-stock', null)).find((f) => f.id === locked.flowId);
      const store = await findStoreById(tx, due.storeId as StoreId);
      if (!flow || !store || !lowInventoryAllowed(store)) {
        await endEpisode(tx, due.storeId, due.id, 'flow stopped', now);
        return 0;
      }
      return releaseEpisode(tx, flow, due.storeId, due.id, now);
    });
  }
  return released;
}
