// The audience of an item trigger (low inventory, sell-out forecast, price drop): who it may
// reach, and their entry, in one INSERT … SELECT when entry needs no per-profile check, else
// through the usual entry rules. Each trigger names its audience; the choice between the two
// paths and the run keys are made here only.
import type { Queryable } from '../db/pool.ts';
import type { ProfileId } from '../model/ids.ts';
import type { RunContext } from '../model/flow.ts';
import type { TriggerableFlow } from '../db/repositories/flows.ts';
import { insertAudienceRuns, lowInventoryAudience, type AudienceQuery, type AudienceRun } from '../db/repositories/flow-triggers.ts';
import { successors, type FlowDefinition, type Step } from './definition.ts';
import { enterFlow } from './flow-entry.ts';
import { stepModule } from './steps/registry.ts';

type ItemTrigger = Extract<FlowDefinition['trigger'], { type: 'low-inventory' | 'sell-out-forecast' | 'price-drop' }>;

/** The channel of the flow's first message: the audience must be reachable on it. */
export function firstMessageChannel(def: FlowDefinition): 'email' | 'sms' {
  const byId = new Map(def.steps.map((s) => [s.id, s]));
  const seen = new Set<string>();
  const queue = [def.start];
  while (queue.length > 0) {
    const step: Step | undefined = byId.get(queue.shift()!);
    if (!step || seen.has(step.id)) continue;
    seen.add(step.id);
    const channel = stepModule(step)?.needs.channel;
    if (channel) return channel;
    queue.push(...successors(step));
  }
  return 'email';
}

/**
 * Who an item trigger may reach about one item: its metrics, windows and level, and the channel
 * of the current definition's first message (`current` may be newer than the trigger's version).
 */
export function audienceQuery(
  storeId: string,
  trigger: ItemTrigger,
  current: FlowDefinition,
  item: { productExternalId: string; variantExternalId: string | null },
  now: Date,
): AudienceQuery {
  return {
    storeId,
    level: trigger.level,
    productExternalId: item.productExternalId,
    variantExternalId: item.variantExternalId,
    metrics: trigger.metrics,
    lookbackDays: trigger.lookbackDays,
    excludePurchasedWithinDays: trigger.excludePurchasedWithinDays,
    channel: firstMessageChannel(current),
    now,
  };
}

export type ItemAudience = {
  /** Enters the whole audience in the statement that finds it; each run gets `run.context` plus its row's own part. */
  insertRuns: (run: AudienceRun & { context: RunContext }) => Promise<number>;
  /** The audience as rows, each with what its run adds to the shared context (the shopper's variant, the price they saw). */
  members: () => Promise<Array<{ profileId: string; context: Partial<RunContext> }>>;
};

/** Who looked at the item (low inventory, sell-out forecast), each with the variant they looked at. */
export function lookedAtItem(db: Queryable, query: AudienceQuery): ItemAudience {
  return {
    insertRuns: (run) => insertAudienceRuns(db, query, run),
    members: async () => (await lowInventoryAudience(db, query)).map((a) => ({ profileId: a.profileId, context: { shopperVariantId: a.variantExternalId } })),
  };
}

export async function enterItemAudience(
  db: Queryable,
  flow: TriggerableFlow,
  current: FlowDefinition,
  audience: ItemAudience,
  keyPrefix: string,
  context: RunContext,
  now: Date,
): Promise<number> {
  if (current.filters.length === 0 && current.reentry.mode === 'always') {
    return audience.insertRuns({ flowId: flow.id, version: flow.version, startStep: current.start, keyPrefix, context });
  }
  const members = await audience.members();
  return enterFlow(
    db,
    flow,
    members.map((m) => ({ profileId: m.profileId as ProfileId, key: `${keyPrefix}${m.profileId}`, triggerEvent: null, context: { ...context, ...m.context } })),
    now,
  );
}
