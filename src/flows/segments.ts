// Segments: a stored set of conditions over profile properties, event counts and summed event
// values (spend) in a window.
// Membership is re-evaluated on a schedule and for the profiles new events touch; a profile
// that newly matches enters the segment's flows.
import type pg from 'pg';
import { z } from 'zod';
import type { ProfileId, StoreId } from '../model/ids.ts';
import { withTransaction } from '../db/pool.ts';
import { loadProfiles, metricTimes, netValueSums } from '../db/repositories/flow-facts.ts';
import { applyMembership, findSegment, insertSegment, listSegments, memberCount, profileIdPage, type SegmentRow } from '../db/repositories/segments.ts';
import { findTriggerableFlows } from '../db/repositories/flows.ts';
import { IsoDuration, PathCondition } from './definition.ts';
import { conditionFacts, holds } from './conditions.ts';
import { durationMs } from './flow-time.ts';
import { enterFlow } from './flow-entry.ts';

const SegmentMetricCondition = z.object({
  metric: z.string().trim().min(1).max(255),
  /** The window counted back from now. */
  within: IsoDuration,
  atLeast: z.number().int().min(0).default(1),
  /** atMost 0 expresses "has not done it". */
  atMost: z.number().int().min(0).optional(),
  /** A count never takes a spend amount: a bad value condition must not pass as a count. */
  valueAtLeast: z.never().optional(),
});

/** "Spent at least X": the metric's event values summed over the window, net of the `less` metrics. */
const SegmentValueCondition = z.object({
  metric: z.string().trim().min(1).max(255),
  within: IsoDuration,
  valueAtLeast: z.number().min(0).max(1_000_000_000_000),
  /** Metrics whose values come off the sum per order (OrderID): refunds and cancellations. */
  less: z.array(z.string().trim().min(1).max(255)).max(5).default([]),
});
type SegmentValueCondition = z.infer<typeof SegmentValueCondition>;

export const SegmentDefinition = z.object({
  name: z.string().trim().min(1).max(255),
  // A value condition first: a metric condition would also accept its fields.
  conditions: z.array(z.union([SegmentValueCondition, SegmentMetricCondition, PathCondition.refine((c) => c.path.startsWith('profile.'), 'segments test profile fields only')])).min(1).max(20),
});
export type SegmentDefinition = z.infer<typeof SegmentDefinition>;

export type Segment = { id: string; name: string; definition: SegmentDefinition; members: number; evaluatedAt: Date | null };

/** Ready-made segments: `{"preset":"vip","minSpend":500}` is spend over the last 365 days, net of refunds and cancellations. */
const SegmentPreset = z.object({ preset: z.literal('vip'), name: z.string().optional(), minSpend: z.number().min(0).default(500) }).passthrough();

export function vipSegment(minSpend: number, name = 'VIP'): SegmentDefinition {
  return { name, conditions: [{ metric: 'Placed Order', within: 'P365D', valueAtLeast: minSpend, less: ['Refunded Order', 'Cancelled Order'] }] };
}

/** A body is a segment definition, or a preset with its settings. */
export function resolveSegmentInput(body: unknown): unknown {
  const preset = SegmentPreset.safeParse(body);
  return preset.success ? vipSegment(preset.data.minSpend, preset.data.name) : body;
}

/** Stores a segment (parsed at the edge) and evaluates it over every profile once. */
export async function createSegment(pool: pg.Pool, storeId: StoreId, definition: SegmentDefinition): Promise<Segment> {
  const row = await insertSegment(pool, storeId, definition.name, definition);
  await evaluateSegment(pool, row, null);
  return { id: row.id, name: row.name, definition, members: await memberCount(pool, storeId, row.id), evaluatedAt: new Date() };
}

export async function readSegment(pool: pg.Pool, storeId: StoreId, id: string): Promise<Segment | undefined> {
  const row = await findSegment(pool, storeId, id);
  if (!row) return undefined;
  return { id: row.id, name: row.name, definition: SegmentDefinition.parse(row.definition), members: await memberCount(pool, storeId, id), evaluatedAt: row.evaluatedAt };
}

export async function storeSegments(pool: pg.Pool, storeId: StoreId): Promise<Segment[]> {
  const rows = await listSegments(pool, storeId);
  return Promise.all(rows.map(async (r) => ({ id: r.id, name: r.name, definition: SegmentDefinition.parse(r.definition), members: await memberCount(pool, storeId, r.id), evaluatedAt: r.evaluatedAt })));
}

/** Which of these profiles match now. */
async function matching(pool: pg.Pool, storeId: string, def: SegmentDefinition, profileIds: string[], now: Date): Promise<string[]> {
  const refs = profileIds.map((id) => ({ storeId, id }));
  const isValue = (c: SegmentDefinition['conditions'][number]): c is SegmentValueCondition => 'valueAtLeast' in c;
  const metricConds = def.conditions.filter((c): c is z.infer<typeof SegmentMetricCondition> => 'metric' in c && !isValue(c));
  const valueConds = def.conditions.filter(isValue);
  const longest = Math.max(0, ...metricConds.map((c) => durationMs(c.within)));
  const [profiles, times, sums] = await Promise.all([
    loadProfiles(pool, refs),
    metricConds.length ? metricTimes(pool, refs, [...new Set(metricConds.map((c) => c.metric))], new Date(now.getTime() - longest)) : Promise.resolve(new Map<string, Map<string, number[]>>()),
    Promise.all(valueConds.map((c) => netValueSums(pool, refs, c.metric, c.less, new Date(now.getTime() - durationMs(c.within))))),
  ]);
  const sumOf = new Map(valueConds.map((c, i) => [c, sums[i]!]));
  return profileIds.filter((id) => {
    const p = profiles.get(id);
    if (!p) return false;
    return def.conditions.every((c) => {
      if (isValue(c)) return (sumOf.get(c)!.get(id) ?? 0) >= c.valueAtLeast;
      if ('metric' in c) {
        const since = now.getTime() - durationMs(c.within);
        const n = (times.get(id)?.get(c.metric) ?? []).filter((t) => t >= since).length;
        return n >= c.atLeast && (c.atMost === undefined || n <= c.atMost);
      }
      return holds(c, conditionFacts(p, null));
    });
  });
}

/**
 * Re-evaluates a segment for the given profiles (or everyone, page by page) and lets those who
 * newly joined enter the segment-triggered flows. Returns how many joined.
 */
export async function evaluateSegment(pool: pg.Pool, segment: SegmentRow, profileIds: string[] | null, now: Date = new Date()): Promise<number> {
  const def = SegmentDefinition.parse(segment.definition);
  let joinedTotal = 0;
  const evaluatePage = async (ids: string[]) => {
    const match = await matching(pool, segment.storeId, def, ids, now);
    joinedTotal += await withTransaction(pool, async (tx) => {
      const joined = await applyMembership(tx, segment.storeId, segment.id, ids, match, now);
      if (joined.length === 0) return 0;
      for (const flow of await findTriggerableFlows(tx, segment.storeId as StoreId, 'segment', [segment.id])) {
        await enterFlow(tx, flow, joined.map((p) => ({ profileId: p as ProfileId, key: `segment:${segment.id}:${now.toISOString()}:${p}`, triggerEvent: null, context: { webhooks: {}, branches: {}, segmentId: segment.id } })), now);
      }
      return joined.length;
    });
  };
  if (profileIds) {
    if (profileIds.length) await evaluatePage(profileIds);
    return joinedTotal;
  }
  let after: string | null = null;
  for (;;) {
    const ids = await profileIdPage(pool, segment.storeId, after, 1000);
    if (ids.length === 0) break;
    await evaluatePage(ids);
    after = ids[ids.length - 1]!;
  }
  return joinedTotal;
}

/** The scheduled pass over every segment of every store. */
export async function evaluateAllSegments(pool: pg.Pool, now: Date = new Date()): Promise<number> {
  let joined = 0;
  for (const segment of await listSegments(pool, null)) joined += await evaluateSegment(pool, segment, null, now);
  return joined;
}

/** After new events: re-evaluate segments that count one of their metrics, for those profiles only. */
export async function evaluateForEvents(pool: pg.Pool, storeId: string, touched: Array<{ profileId: string; metric: string }>, now: Date): Promise<number> {
  if (touched.length === 0) return 0;
  let joined = 0;
  for (const segment of await listSegments(pool, storeId)) {
    const def = SegmentDefinition.safeParse(segment.definition);
    if (!def.success) continue;
    const metrics = new Set(def.data.conditions.flatMap((c) => ('metric' in c ? [c.metric, ...('less' in c ? c.less : [])] : [])));
    const ids = [...new Set(touched.filter((t) => metrics.has(t.metric)).map((t) => t.profileId))];
    if (ids.length) joined += await evaluateSegment(pool, segment, ids, now);
  }
  return joined;
}
