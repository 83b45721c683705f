// Flow entry for every trigger: candidates pass the flow filters and the re-entry rule, then
// become runs under a deterministic key, so the same trigger can never start a second run.
import type pg from 'pg';
import type { ProfileId, StoreId } from '../model/ids.ts';
import type { RunContext, TriggerEvent } from '../model/flow.ts';
import type { Queryable } from '../db/pool.ts';
import { withTransaction } from '../db/pool.ts';
import { findAllTriggerableFlows, findTriggerableFlows, type TriggerableFlow } from '../db/repositories/flows.ts';
import { insertRuns, recentEntrants, wakeWaitingRuns } from '../db/repositories/flow-runs.ts';
import { loadProfiles } from '../db/repositories/flow-facts.ts';
import { dateCandidates, takeTriggers, triggerEvents } from '../db/repositories/flow-triggers.ts';
import { FlowDefinition } from './definition.ts';
import { allHold, conditionFacts } from './conditions.ts';
import { durationMs, nextAnniversary } from './flow-time.ts';

export type Candidate = {
  profileId: ProfileId;
  /** Unique per trigger occurrence and profile. */
  key: string;
  triggerEvent: TriggerEvent | null;
  context?: RunContext;
  /** When the first step is due (date triggers start at the local time of day). */
  startAt?: Date;
};

/** Events older than this start no flow: a backfill of last year's orders must not mail anyone. */
const MAX_TRIGGER_AGE_MS = 24 * 3_600_000;

export async function enterFlow(db: Queryable, flow: TriggerableFlow, candidates: Candidate[], now: Date): Promise<number> {
  if (candidates.length === 0) return 0;
  const def = FlowDefinition.parse(flow.definition);
  const profiles = await loadProfiles(db, candidates.map((c) => ({ storeId: flow.storeId, id: c.profileId })));
  let eligible = candidates.filter((c) => {
    const p = profiles.get(c.profileId);
    return p && allHold(def.filters, conditionFacts(p, c.triggerEvent as unknown as Record<string, unknown> | null));
  });
  if (def.reentry.mode !== 'always') {
    const since = def.reentry.mode === 'after' ? new Date(now.getTime() - durationMs(def.reentry.after!)) : null;
    const recent = await recentEntrants(db, flow.storeId, flow.id, eligible.map((c) => c.profileId), since);
    const seen = new Set<string>();
    eligible = eligible.filter((c) => {
      if (recent.has(c.profileId) || seen.has(c.profileId)) return false;
      seen.add(c.profileId);
      return true;
    });
  }
  const inserted = await insertRuns(
    db,
    eligible.map((c) => ({
      storeId: flow.storeId,
      flowId: flow.id,
      version: flow.version,
      profileId: c.profileId,
      // "once" is enforced by the key itself, so even two workers racing cannot enter twice.
      key: def.reentry.mode === 'once' ? `once:${c.profileId}` : c.key,
      status: 'active',
      startStep: def.start,
      nextAt: c.startAt ?? now,
      enteredAt: now,
      triggerEvent: c.triggerEvent,
      context: c.context ?? { webhooks: {}, branches: {} },
    })),
  );
  return inserted.length;
}

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
            joins.filter((j) => j.list === list).map((j) => ({ profileId: j.profileId as ProfileId, key: `list:${list}:${j.at.toISOString()}:${j.profileId}`, triggerEvent: null })),
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
      candidates.push({ profileId: c.profileId as ProfileId, key: `date:${property}:${due.getUTCFullYear()}-${due.getUTCMonth() + 1}-${due.getUTCDate()}:${c.profileId}`, triggerEvent: null, startAt: due });
    }
    entered += await withTransaction(pool, (tx) => enterFlow(tx, flow, candidates, now));
  }
  return entered;
}

