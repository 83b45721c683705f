import type { Queryable } from '../pool.ts';

export type SegmentRow = { id: string; storeId: string; name: string; definition: unknown; evaluatedAt: Date | null; createdAt: Date };

type Row = { id: string; store_id: string; name: string; definition: unknown; evaluated_at: Date | null; created_at: Date };
const toSegment = (r: Row): SegmentRow => ({ id: r.id, storeId: r.store_id, name: r.name, definition: r.definition, evaluatedAt: r.evaluated_at, createdAt: r.created_at });

export async function insertSegment(db: Queryable, storeId: string, name: string, definition: unknown): Promise<SegmentRow> {
  const { rows } = await db.query<Row>('INSERT INTO segments (store_id, name, definition) VALUES ($1, $2, $3::jsonb) RETURNING *', [storeId, name, JSON.stringify(definition)]);
  return toSegment(rows[0]!);
}

export async function findSegment(db: Queryable, storeId: string, id: string): Promise<SegmentRow | undefined> {
  const { rows } = await db.query<Row>('SELECT * FROM segments WHERE store_id = $1 AND id = $2', [storeId, id]);
  return rows[0] && toSegment(rows[0]);
}

export async function listSegments(db: Queryable, storeId: string | null): Promise<SegmentRow[]> {
  const { rows } = await db.query<Row>('SELECT * FROM segments WHERE ($1::uuid IS NULL OR store_id = $1) ORDER BY created_at, id', [storeId]);
  return rows.map(toSegment);
}

export async function memberCount(db: Queryable, storeId: string, segmentId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM segment_members WHERE store_id = $1 AND segment_id = $2', [storeId, segmentId]);
  return rows[0]?.n ?? 0;
}

/** A page of a store's profile ids, for evaluating a segment over everyone. */
export async function profileIdPage(db: Queryable, storeId: string, after: string | null, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    'SELECT id FROM profiles WHERE store_id = $1 AND ($2::uuid IS NULL OR id > $2) ORDER BY id LIMIT $3',
    [storeId, after, limit],
  );
  return rows.map((r) => r.id);
}

/**
 * Sets membership for the evaluated profiles: those matching join (returned, with the time they
 * joined), those not matching leave, so leaving and joining again counts as a new entry.
 */
export async function applyMembership(db: Queryable, storeId: string, segmentId: string, evaluated: string[], matching: string[], now: Date): Promise<string[]> {
  if (evaluated.length === 0) return [];
  await db.query(
    `DELETE FROM segment_members WHERE store_id = $1 AND segment_id = $2 AND profile_id = ANY($3::uuid[]) AND NOT (profile_id = ANY($4::uuid[]))`,
    [storeId, segmentId, evaluated, matching],
  );
  const { rows } = await db.query<{ profile_id: string }>(
    `INSERT INTO segment_members (store_id, segment_id, profile_id, entered_at) SELECT $1, $2, p, $4 FROM unnest($3::uuid[]) AS p
     ON CONFLICT DO NOTHING RETURNING profile_id`,
    [storeId, segmentId, matching, now],
  );
  await db.query('UPDATE segments SET evaluated_at = $3 WHERE store_id = $1 AND id = $2', [storeId, segmentId, now]);
  return rows.map((r) => r.profile_id);
}

/** Which of these (segment, profile) pairs are members now, as `segmentId:profileId`. */
export async function memberships(db: Queryable, pairs: Array<{ storeId: string; segmentId: string; profileId: string }>): Promise<Set<string>> {
  if (pairs.length === 0) return new Set();
  const { rows } = await db.query<{ key: string }>(
    `SELECT m.segment_id::text || ':' || m.profile_id::text AS key
     FROM jsonb_to_recordset($1::jsonb) AS x(store_id uuid, segment_id uuid, profile_id uuid)
     JOIN segment_members m ON m.store_id = x.store_id AND m.segment_id = x.segment_id AND m.profile_id = x.profile_id`,
    [JSON.stringify(pairs.map((p) => ({ store_id: p.storeId, segment_id: p.segmentId, profile_id: p.profileId })))],
  );
  return new Set(rows.map((r) => r.key));
}
