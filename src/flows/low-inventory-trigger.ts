// The low-inventory trigger (DESIGN §5): an inventory fall that crosses a flow's threshold
// (previously above it, now at or below it and still above zero) enters the item's audience,
// once per fall: the observation id is part of every run's key.
import type { Queryable } from '../db/pool.ts';
import type { StoreId } from '../model/ids.ts';
import type { Store } from '../model/store.ts';
import { findStoreById } from '../db/repositories/stores.ts';
import { findTriggerableFlows } from '../db/repositories/flows.ts';
import { flowVersionHistory, inventoryObservations } from '../db/repositories/flow-triggers.ts';
import type { Observation } from '../model/catalog.ts';
import { FlowDefinition } from './definition.ts';
import { audienceQuery, enterItemAudience, lookedAtItem } from './item-audience.ts';

type LowInventoryTrigger = Extract<FlowDefinition['trigger'], { type: 'low-inventory' }>;

/** A custom catalog drives the trigger only after support enabled it (DESIGN §5). */
export function lowInventoryAllowed(store: Pick<Store, 'platform' | 'lowInventoryCatalog' | 'customLowInventoryEnabled' | 'status'>): boolean {
  if (store.status !== 'active') return false;
  const custom = store.platform === 'custom' || store.lowInventoryCatalog === 'custom';
  return !custom || store.customLowInventoryEnabled;
}

export function crosses(trigger: LowInventoryTrigger, o: Pick<Observation, 'level' | 'oldQuantity' | 'newQuantity'>): boolean {
  return o.level === trigger.level && o.oldQuantity > trigger.threshold && o.newQuantity <= trigger.threshold && o.newQuantity > 0;
}

/**
 * The definition in force when the stock changed: a threshold edited later applies only to
 * changes after the edit.
 */
export function versionAt(history: Array<{ createdAt: Date; definition: unknown }>, at: Date): FlowDefinition | undefined {
  const v = history.filter((h) => h.createdAt <= at).at(-1);
  return v && FlowDefinition.parse(v.definition);
}

export async function enterLowInventory(db: Queryable, storeId: StoreId, observationIds: string[], now: Date): Promise<number> {
  const flows = await findTriggerableFlows(db, storeId, 'low-inventory', null);
  if (flows.length === 0) return 0;
  const store = await findStoreById(db, storeId);
  if (!store || !lowInventoryAllowed(store)) return 0;
  const observations = await inventoryObservations(db, storeId, observationIds);
  let entered = 0;
  for (const flow of flows) {
    const history = await flowVersionHistory(db, storeId, flow.id);
    const current = FlowDefinition.parse(flow.definition);
    for (const o of observations) {
      const def = versionAt(history, o.observedAt);
      if (!def || def.trigger.type !== 'low-inventory' || !crosses(def.trigger, o)) continue;
      const query = audienceQuery(storeId, def.trigger, current, o, now);
      const context = { item: { level: o.level, productId: o.productId, variantId: o.variantId, threshold: def.trigger.threshold }, webhooks: {}, branches: {} };
      entered += await enterItemAudience(db, flow, current, lookedAtItem(db, query), `low-inventory:${o.id}:`, context, now);
    }
  }
  return entered;
}
