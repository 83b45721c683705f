// Daily member counts per segment, the day taken in the store's timezone (store_preferences).
import type { StoreId } from '../../model/ids.ts';
import type { Queryable } from '../pool.ts';

/** Today's count for every segment (of one store, or of one segment); a second pass today overwrites it. */
export async function recordSegmentCounts(db: Queryable, now: Date, scope: { storeId?: StoreId; segmentId?: string } = {}): Promise<number> {
  const { rowCount } = await db.query(
    `INSERT INTO segment_counts (store_id, segment_id, day, members, at)
     SELECT s.store_id, s.id, ($1::timestamptz AT TIME ZONE coalesce(sp.timezone, 'UTC'))::date,
            (SELECT count(*)::int FROM segment_members m WHERE m.store_id = s.store_id AND m.segment_id = s.id), $1
     FROM segments s LEFT JOIN store_preferences sp ON sp.store_id = s.store_id
     WHERE ($2::uuid IS NULL OR s.store_id = $2) AND ($3::uuid IS NULL OR s.id = $3)
     ON CONFLICT (store_id, segment_id, day) DO UPDATE SET members = EXCLUDED.members, at = EXCLUDED.at`,
    [now, scope.storeId ?? null, scope.segmentId ?? null],
  );
  return rowCount ?? 0;
}

/** The last `days` daily counts of a segment, oldest first. */
export async function segmentCountHistory(db: Queryable, storeId: StoreId, segmentId: string, days: number): Promise<Array<{ day: string; members: number }>> {
  const { rows } = await db.query<{ day: string; members: number }>(
    `SELECT to_char(day, 'YYYY-MM-DD') AS day, members FROM (
       SELECT day, members FROM segment_counts WHERE store_id = $1 AND segment_id = $2 ORDER BY day DESC LIMIT $3
     ) d ORDER BY day`,
    [storeId, segmentId, days],
  );
  return rows;
}

export type SegmentMember = { profileId: string; email: string | null; phone: string | null; name: string; enteredAt: Date };

export async function segmentMembers(db: Queryable, storeId: StoreId, segmentId: string, q: { afterId?: string | undefined; limit: number }): Promise<SegmentMember[]> {
  const { rows } = await db.query<{ id: string; email: string | null; phone: string | null; first_name: string | null; last_name: string | null; entered_at: Date }>(
    `SELECT p.id, p.email, p.phone, p.first_name, p.last_name, m.entered_at FROM segment_members m
     JOIN profiles p ON p.store_id = m.store_id AND p.id = m.profile_id
     WHERE m.store_id = $1 AND m.segment_id = $2 AND ($3::uuid IS NULL OR m.profile_id > $3::uuid)
     ORDER BY m.profile_id LIMIT $4`,
    [storeId, segmentId, q.afterId ?? null, q.limit],
  );
  return rows.map((r) => ({ profileId: r.id, email: r.email, phone: r.phone, name: [r.first_name, r.last_name].filter(Boolean).join(' '), enteredAt: r.entered_at }));
}

export async function deleteSegment(db: Queryable, storeId: StoreId, segmentId: string): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM segments WHERE store_id = $1 AND id = $2', [storeId, segmentId]);
  return rowCount === 1;
}
