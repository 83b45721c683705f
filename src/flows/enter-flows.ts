// The triggers that start flows: the queue of new events, list joins, inventory and price falls, and
// the date-property schedule. Entry itself (filters, re-entry, keys) is in flow-entry.ts.
import type pg from 'pg';
import type { ProfileId, StoreId } from '../model/ids.ts';
import { withTransaction } from '../db/pool.ts';
import { findAllTriggerableFlows, findTriggerableFlows } from '../db/repositories/flows.ts';
import { wakeWaitingRuns } from '../db/repositories/flow-runs.ts';
import { dateCandidates, triggerEvents } from '../db/repositories/flow-triggers.ts';
import { takeTriggers } from '../db/repositories/flow-trigger-queue.ts';
import { FlowDefinition } from './definition.ts';
import { allHold } from './conditions.ts';
import { nextAnniversary } from './flow-time.ts';
import { enterFlow, type Candidate } from './flow-entry.ts';
import { enterLowInventory } from './low-inventory-trigger.ts';
import { enterPriceDrop } from './price-drop-trigger.ts';
import { enterSellOutForecastForChanges } from './sell-out-forecast-trigger.ts';
import { enterBackInStock } from './back-in-stock-trigger.ts';

/** Events older than this start no flow: a backfill of last year's orders must not mail anyone. */
const MAX_TRIGGER_AGE_MS = 24 * 3_600_000;

export type TriggerResult = {
  taken: number;
  entered: number;
  woken: number;
  /** Who did what: segments that count these metrics look at these profiles again. */
  touched: Array<{ storeId: string; profileId: string; metric: string }>;
};

/** Consumes the trigger queue: metric and list flows enter, waiting runs wake. */
export async function processTriggerQueue(pool: pg.Pool, opts: { now?: Date; batch?: number } = {}): Promise<TriggerResult> {
  const now = opts.now ?? new Date();
  return withTransaction(pool, async (tx) => {
    const queued = await takeTriggers(tx, opts.batch ?? 2000);
    let entered = 0;
    let woken = 0;
    const touched: TriggerResult['touched'] = [];
    const byStore = Map.groupBy(queued, (q) => q.storeId);
    for (const [storeId, items] of byStore) {
      const sid = storeId as StoreId;
      const events = await triggerEvents(tx, storeId, items.filter((q) => q.kind === 'event').map((q) => q.eventId!));
      for (const e of events.values()) touched.push({ storeId, profileId: e.profileId, metric: e.metric });
      const fresh = [...events.values()].filter((e) => now.getTime() - new Date(e.time).getTime() <= MAX_TRIGGER_AGE_MS);
      const metrics = [...new Set(fresh.map((e) => e.metric))];
      if (metrics.length > 0) {
        for (const flow of await findTriggerableFlows(tx, sid, 'metric', metrics)) {
          const def = FlowDefinition.parse(flow.definition);
          if (def.trigger.type !== 'metric') continue;
          const where = def.trigger.where;
          const matching = fresh.filter((e) => e.metric === (def.trigger as { metric: string }).metric && allHold(where, { profile: {}, event: e as unknown as Record<string, unknown> }));
          entered += await enterFlow(
            tx,
            flow,
            matching.map(({ profileId, ...event }) => ({ profileId: profileId as ProfileId, key: `event:${event.id}`, triggerEvent: event })),
            now,
          );
        }
        woken += await wakeWaitingRuns(tx, sid, [...events.values()].map((e) => ({ profileId: e.profileId as ProfileId, metric: e.metric })), now);
      }
      const changes = items.filter((q) => q.kind === 'inventory').map((q) => q.observationId!);
      if (changes.length > 0) {
        entered += await enterLowInventory(tx, sid, changes, now);
        entered += await enterSellOutForecastForChanges(tx, sid, changes, now);
        entered += await enterBackInStock(tx, sid, changes, now);
      }
      const drops = items.filter((q) => q.kind === 'price').map((q) => q.observationId!);
      if (drops.length > 0) entered += await enterPriceDrop(tx, sid, drops, now);
      const joins = items.filter((q) => q.kind === 'list');
      const lists = [...new Set(joins.map((q) => q.list!))];
      if (lists.length > 0) {
        for (const flow of await findTriggerableFlows(tx, sid, 'list', lists)) {
          const def = FlowDefinition.parse(flow.definition);
          if (def.trigger.type !== 'list') continue;
          const list = def.trigger.list;
          entered += await enterFlow(
            tx,
            flow,
            joins.filter((j) => j.list === list && j.profileId).map((j) => ({ profileId: j.profileId as ProfileId, key: `list:${list}:${j.at.toISOString()}:${j.profileId}`, triggerEvent: null })),
            now,
          );
        }
      }
    }
    return { taken: queued.length, entered, woken, touched };
  });
}

/**
 * Date-property flows (birthdays, anniversaries): profiles whose date, shifted by the offset,
 * comes within the next `horizonMs` enter now with their first step due at that local time.
 * The key names the year, so each profile enters once a year however often this runs.
 */
export async function runDateTriggers(pool: pg.Pool, opts: { now?: Date; horizonMs?: number } = {}): Promise<number> {
  const now = opts.now ?? new Date();
  const horizon = now.getTime() + (opts.horizonMs ?? 2 * 3_600_000);
  let entered = 0;
  for (const flow of await findAllTriggerableFlows(pool, 'date')) {
    const def = FlowDefinition.parse(flow.definition);
    if (def.trigger.type !== 'date') continue;
    const { property, offsetDays, at } = def.trigger;
    const candidates: Candidate[] = [];
    for (const c of await dateCandidates(pool, flow.storeId, property)) {
      const due = nextAnniversary(c.value, offsetDays, at, c.timezone, now);
      if (!due || due.getTime() > horizon) continue;
      candidates.push({
        profileId: c.profileId as ProfileId,
        key: `date:${property}:${due.getUTCFullYear()}-${due.getUTCMonth() + 1}-${due.getUTCDate()}:${c.profileId}`,
        triggerEvent: null,
        startAt: due,
        context: { webhooks: {}, branches: {}, date: { property, value: String(c.value) } },
      });
    }
    entered += await withTransaction(pool, (tx) => enterFlow(tx, flow, candidates, now));
  }
  return entered;
}

