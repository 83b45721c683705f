// The low-inventory trigger (DESIGN §5): an inventory fall that crosses a flow's threshold
// (previously above it, now at or below it and still above zero) enters the item's audience,
// once per fall: the observation id is part of every run's key.
import type { Queryable } from '../db/pool.ts';
import type { ProfileId, StoreId } from '../model/ids.ts';
import type { Store } from '../model/store.ts';
import { findStoreById } from '../db/repositories/stores.ts';
import { findTriggerableFlows, type TriggerableFlow } from '../db/repositories/flows.ts';
import type { RunContext } from '../model/flow.ts';
import { flowVersionHistory, insertAudienceRuns, inventoryObservations, lowInventoryAudience, type AudienceQuery, type Observation } from '../db/repositories/flow-triggers.ts';
import { FlowDefinition, successors, type Step } from './definition.ts';
import { enterFlow } from './flow-entry.ts';

type LowInventoryTrigger = Extract<FlowDefinition['trigger'], { type: 'low-inventory' }>;

/** A custom catalog drives the trigger only after support enabled it (DESIGN §5). */
export function lowInventoryAllowed(store: Pick<Store, 'platform' | 'lowInventoryCatalog' | 'customLowInventoryEnabled' | 'status'>): boolean {
  if (store.status !== 'active') return false;
  const custom = store.platform === 'custom' || store.lowInventoryCatalog === 'custom';
  return !custom || store.customLowInventoryEnabled;
}

/** The channel of the flow's first message: the audience must be reachable on it. */
export function firstMessageChannel(def: FlowDefinition): 'email' | 'sms' {
  const byId = new Map(def.steps.map((s) => [s.id, s]));
  const seen = new Set<string>();
  const queue = [def.start];
  while (queue.length > 0) {
    const step: Step | undefined = byId.get(queue.shift()!);
    if (!step || seen.has(step.id)) continue;
    seen.add(step.id);
    if (step.type === 'email' || step.type === 'sms') return step.type;
    queue.push(...successors(step));
  }
  return 'email';
}

export function crosses(trigger: LowInventoryTrigger, o: Pick<Observation, 'level' | 'oldQuantity' | 'newQuantity'>): boolean {
  return o.level === trigger.level && o.oldQuantity > trigger.threshold && o.newQuantity <= trigger.threshold && o.newQuantity > 0;
}

/**
 * The definition in force when the stock changed: a threshold edited later applies only to
 * changes after the edit.
 */
function versionAt(history: Array<{ createdAt: Date; definition: unknown }>, at: Date): FlowDefinition | undefined {
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
      const trigger = def.trigger;
      const query = {
        storeId,
        level: trigger.level,
        productExternalId: o.productExternalId,
        variantExternalId: o.variantExternalId,
        metrics: trigger.metrics,
        lookbackDays: trigger.lookbackDays,
        excludePurchasedWithinDays: trigger.excludePurchasedWithinDays,
        channel: firstMessageChannel(current),
        now,
      };
      const context = { item: { level: o.level, productId: o.productId, variantId: o.variantId, threshold: trigger.threshold }, webhooks: {}, branches: {} };
      entered += await enterItemAudience(db, flow, current, query, `low-inventory:${o.id}:`, context, now);
    }
  }
  return entered;
}

/**
 * Enters an item's audience (low inventory's, also the sell-out forecast's) into a flow: in one
 * INSERT … SELECT when entry needs no per-profile check, else through the usual entry rules.
 */
export async function enterItemAudience(
  db: Queryable,
  flow: TriggerableFlow,
  current: FlowDefinition,
  query: AudienceQuery,
  keyPrefix: string,
  context: RunContext,
  now: Date,
): Promise<number> {
  if (current.filters.length === 0 && current.reentry.mode === 'always') {
    return insertAudienceRuns(db, query, { flowId: flow.id, version: flow.version, startStep: current.start, keyPrefix, context });
  }
  const audience = await lowInventoryAudience(db, query);
  return enterFlow(
    db,
    flow,
    audience.map((profileId) => ({ profileId: profileId as ProfileId, key: `${keyPrefix}${profileId}`, triggerEvent: null, context })),
    now,
  );
}
