// The sell-out forecast trigger: an item whose counted stock lasts no more than the flow's
// horizon at the pace of its recent Ordered Product quantities enters the low-inventory audience
// of that item, once per episode. Evaluated set-based for the products a stock change touched
// (from the trigger queue) and for every item with recent sales on a schedule.
import type { Queryable } from '../db/pool.ts';
import type { StoreId } from '../model/ids.ts';
import { findStoreById } from '../db/repositories/stores.ts';
import { findAllTriggerableFlows, findTriggerableFlows, type TriggerableFlow } from '../db/repositories/flows.ts';
import { closeEpisodes, observedProducts, openEpisodes } from '../db/repositories/sell-out-forecast.ts';
import { FlowDefinition } from './definition.ts';
import { enterItemAudience, firstMessageChannel, lowInventoryAllowed } from './low-inventory-trigger.ts';

async function evaluateFlow(db: Queryable, flow: TriggerableFlow, productIds: string[] | null, now: Date): Promise<number> {
  const def = FlowDefinition.parse(flow.definition);
  if (def.trigger.type !== 'sell-out-forecast') return 0;
  const t = def.trigger;
  const q = { storeId: flow.storeId, flowId: flow.id, level: t.level, withinHours: t.withinHours, velocityDays: t.velocityDays, now, productIds };
  await closeEpisodes(db, q);
  let entered = 0;
  for (const e of await openEpisodes(db, q)) {
    const query = {
      storeId: flow.storeId,
      level: t.level,
      productExternalId: e.productExternalId,
      variantExternalId: e.variantExternalId,
      metrics: t.metrics,
      lookbackDays: t.lookbackDays,
      excludePurchasedWithinDays: t.excludePurchasedWithinDays,
      channel: firstMessageChannel(def),
      now,
    };
    const context = {
      item: { level: t.level, productId: e.productId, variantId: e.variantId, forecast: { withinHours: t.withinHours, velocityDays: t.velocityDays } },
      webhooks: {},
      branches: {},
    };
    entered += await enterItemAudience(db, flow, def, query, `sell-out-forecast:${e.id}:`, context, now);
  }
  return entered;
}

/** After stock changes: the products these observations touched, for the store's forecast flows. */
export async function enterSellOutForecastForChanges(db: Queryable, storeId: StoreId, observationIds: string[], now: Date): Promise<number> {
  const flows = await findTriggerableFlows(db, storeId, 'sell-out-forecast', null);
  if (flows.length === 0) return 0;
  const store = await findStoreById(db, storeId);
  if (!store || !lowInventoryAllowed(store)) return 0;
  const products = await observedProducts(db, storeId, observationIds);
  if (products.length === 0) return 0;
  let entered = 0;
  for (const flow of flows) entered += await evaluateFlow(db, flow, products, now);
  return entered;
}

/** The schedule: sales move forecasts without any stock change, so every forecast flow is looked at. */
export async function runSellOutForecasts(db: Queryable, now: Date): Promise<number> {
  let entered = 0;
  for (const flow of await findAllTriggerableFlows(db, 'sell-out-forecast')) {
    const store = await findStoreById(db, flow.storeId);
    if (!store || !lowInventoryAllowed(store)) continue;
    entered += await evaluateFlow(db, flow, null, now);
  }
  return entered;
}
