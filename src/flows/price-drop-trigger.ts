// The price-drop trigger (docs/inventory-flows.md): a fall of a product's or variant's price
// enters the shoppers who saw it dearer by at least the flow's share or amount, once per drop
// episode: the episode id (the first fall since the price last rose) is part of every run's key.
import type { Queryable } from '../db/pool.ts';
import type { StoreId } from '../model/ids.ts';
import { findStoreById } from '../db/repositories/stores.ts';
import { findTriggerableFlows } from '../db/repositories/flows.ts';
import { flowVersionHistory } from '../db/repositories/flow-triggers.ts';
import { insertDropRuns, priceDropAudience, priceFalls } from '../db/repositories/price-observations.ts';
import { FlowDefinition } from './definition.ts';
import { audienceQuery, enterItemAudience, type ItemAudience } from './item-audience.ts';
import { versionAt } from './low-inventory-trigger.ts';

export async function enterPriceDrop(db: Queryable, storeId: StoreId, observationIds: string[], now: Date): Promise<number> {
  const flows = await findTriggerableFlows(db, storeId, 'price-drop', null);
  if (flows.length === 0) return 0;
  const store = await findStoreById(db, storeId);
  if (!store || store.status !== 'active') return 0;
  const falls = await priceFalls(db, storeId, observationIds);
  let entered = 0;
  for (const flow of flows) {
    const history = await flowVersionHistory(db, storeId, flow.id);
    const current = FlowDefinition.parse(flow.definition);
    for (const o of falls) {
      // The settings in force when the price changed decide, as with a low-inventory threshold.
      const def = versionAt(history, o.observedAt);
      if (!def || def.trigger.type !== 'price-drop' || def.trigger.level !== o.level) continue;
      const t = def.trigger;
      const query = {
        ...audienceQuery(storeId, t, current, o, now),
        newPrice: o.newPrice,
        minPercent: t.minPercent ?? null,
        minAmount: t.minAmount ?? null,
      };
      const priceDrop = { level: o.level, productId: o.productId, variantId: o.variantId, episodeId: o.episodeId, minPercent: t.minPercent ?? null, minAmount: t.minAmount ?? null };
      // The drop goes into each row's own part of the context: every shopper's run remembers the price they saw.
      const audience: ItemAudience = {
        insertRuns: (run) => insertDropRuns(db, query, { ...run, context: { ...run.context, priceDrop } }),
        members: async () =>
          (await priceDropAudience(db, query)).map((a) => ({ profileId: a.profileId, context: { priceDrop: { ...priceDrop, seenPrice: a.seenPrice }, shopperVariantId: a.variantExternalId } })),
      };
      entered += await enterItemAudience(db, flow, current, audience, `price-drop:${o.episodeId}:`, { webhooks: {}, branches: {} }, now);
    }
  }
  return entered;
}
