import type { Queryable } from '../pool.ts';

export type Hits = { totalHits: number; resetTime: Date };

/** Counts one hit on `key` in a fixed window that starts with the first hit after the last one lapsed. */
export async function incrementHits(db: Queryable, key: string, windowMs: number): Promise<Hits> {
  const { rows } = await db.query<{ hits: number; reset_at: Date }>(
    `INSERT INTO rate_limit_hits AS r (key, hits, reset_at)
     VALUES ($1, 1, now() + make_interval(secs => $2::double precision / 1000))
     ON CONFLICT (key) DO UPDATE SET
       hits = CASE WHEN r.reset_at <= now() THEN 1 ELSE r.hits + 1 END,
       reset_at = CASE WHEN r.reset_at <= now() THEN EXCLUDED.reset_at ELSE r.reset_at END
     RETURNING hits, reset_at`,
    [key, windowMs],
  );
  return { totalHits: rows[0]!.hits, resetTime: rows[0]!.reset_at };
}

export async function decrementHits(db: Queryable, key: string): Promise<void> {
  await db.query('UPDATE rate_limit_hits SET hits = greatest(hits - 1, 0) WHERE key = $1 AND reset_at > now()', [key]);
}

export async function resetHits(db: Queryable, key: string): Promise<void> {
  await db.query('DELETE FROM rate_limit_hits WHERE key = $1', [key]);
}

/** Drops counts whose window has passed. */
export async function purgeLapsedHits(db: Queryable, now: Date): Promise<number> {
  const { rowCount } = await db.query('DELETE FROM rate_limit_hits WHERE reset_at <= $1', [now]);
  return rowCount ?? 0;
}
