// The segment pages' use cases: the list with member counts, create from the builder, one
// segment with its conditions in words, its members and its count day by day.
import type pg from 'pg';
import type { StoreId } from '../model/ids.ts';
import { withTransaction } from '../db/pool.ts';
import { createSegment, readSegment, storeSegments, type Segment } from '../flows/segments.ts';
import { snapshotSegmentCounts } from '../flows/segment-history.ts';
import { deleteSegment, segmentCountHistory, segmentMembers, type SegmentMember } from '../db/repositories/segment-counts.ts';
import { Metrics } from '../model/event.ts';
import { flowsStartedBy } from '../db/repositories/flows.ts';
import { recentEventVocabulary } from '../db/repositories/merchant-reads.ts';
import { profilePropertyNames } from '../db/repositories/people-reads.ts';
import { definitionOf, SegmentIdParam, type SegmentForm } from './segment-form.ts';

export const SEGMENT_MEMBERS_PAGE = 50;
export const HISTORY_DAYS = 30;

export const allSegments = (pool: pg.Pool, storeId: StoreId): Promise<Segment[]> => storeSegments(pool, storeId);

export async function createSegmentFromForm(pool: pg.Pool, storeId: StoreId, form: SegmentForm, now = new Date()): Promise<{ ok: true; segment: Segment } | { ok: false; errors: Record<string, string> }> {
  const def = definitionOf(form);
  if (!def.ok) return def;
  const segment = await createSegment(pool, storeId, def.definition);
  await snapshotSegmentCounts(pool, now, { storeId, segmentId: segment.id });
  return { ok: true, segment };
}

export type SegmentPage = { segment: Segment; history: Array<{ day: string; members: number }>; members: SegmentMember[]; nextAfter: string | null; flows: string[] };

export async function segmentPage(pool: pg.Pool, storeId: StoreId, id: string, afterId?: string): Promise<SegmentPage | undefined> {
  if (!SegmentIdParam.safeParse(id).success) return undefined;
  const segment = await readSegment(pool, storeId, id);
  if (!segment) return undefined;
  const [history, rows, flows] = await Promise.all([
    segmentCountHistory(pool, storeId, id, HISTORY_DAYS),
    segmentMembers(pool, storeId, id, { afterId, limit: SEGMENT_MEMBERS_PAGE + 1 }),
    flowsStartedBy(pool, storeId, 'segment', id),
  ]);
  const members = rows.slice(0, SEGMENT_MEMBERS_PAGE);
  return { segment, history, members, nextAfter: rows.length > SEGMENT_MEMBERS_PAGE ? members[members.length - 1]!.profileId : null, flows };
}

export async function deleteStoreSegment(pool: pg.Pool, storeId: StoreId, id: string): Promise<{ status: 'done' | 'missing' } | { status: 'in-use'; flows: string[] }> {
  if (!SegmentIdParam.safeParse(id).success) return { status: 'missing' };
  return withTransaction(pool, async (tx) => {
    const flows = await flowsStartedBy(tx, storeId, 'segment', id);
    if (flows.length) return { status: 'in-use', flows } as const;
    return { status: (await deleteSegment(tx, storeId, id)) ? 'done' : 'missing' } as const;
  });
}

/**
 * The count chart as SVG numbers: one bar per day, scaled to the tallest. Drawn on the server so
 * the page needs no script; the table beside it carries the same numbers for screen readers.
 */
export function countChart(history: Array<{ day: string; members: number }>, size = { width: 600, height: 160 }) {
  const max = Math.max(1, ...history.map((h) => h.members));
  const slot = history.length ? size.width / history.length : size.width;
  const bar = Math.max(2, Math.min(40, slot - 4));
  return {
    width: size.width,
    height: size.height + 20,
    max,
    bars: history.map((h, i) => {
      const height = Math.round((h.members / max) * size.height);
      return { x: Math.round(i * slot + (slot - bar) / 2), y: size.height - height, width: Math.round(bar), height, day: h.day, members: h.members };
    }),
  };
}

const PROFILE_FIELDS = ['email', 'phone', 'firstName', 'lastName', 'timezone'];

/** What the builder's pickers offer: standard metrics and those the store sends; profile fields and properties. */
export async function segmentChoices(pool: pg.Pool, storeId: StoreId): Promise<{ metrics: string[]; properties: string[] }> {
  const [seen, props] = await Promise.all([recentEventVocabulary(pool, storeId, null), profilePropertyNames(pool, storeId)]);
  return { metrics: [...new Set([...Object.values(Metrics), ...seen.metrics])], properties: [...new Set([...PROFILE_FIELDS, ...props])] };
}
