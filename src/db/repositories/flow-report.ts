import type { Queryable } from '../pool.ts';

export async function runCounts(db: Queryable, storeId: string, flowId: string): Promise<Record<string, number>> {
  const { rows } = await db.query<{ status: string; n: number }>(
    'SELECT status, count(*)::int AS n FROM flow_runs WHERE store_id = $1 AND flow_id = $2 GROUP BY status',
    [storeId, flowId],
  );
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

/** How many runs took each branch of each A/B step. */
export async function branchCounts(db: Queryable, storeId: string, flowId: string): Promise<Array<{ stepId: string; branch: number; entered: number }>> {
  const { rows } = await db.query<{ step_id: string; outcome: string; n: number }>(
    `SELECT step_id, outcome, count(*)::int AS n FROM flow_run_steps
     WHERE store_id = $1 AND flow_id = $2 AND outcome LIKE 'branch:%' GROUP BY step_id, outcome`,
    [storeId, flowId],
  );
  return rows.map((r) => ({ stepId: r.step_id, branch: Number(r.outcome.slice('branch:'.length)), entered: r.n }));
}

/**
 * Orders placed within the attribution window after a message of this flow reached the same
 * profile. Each order counts once however many of the flow's messages preceded it.
 */
export async function conversions(db: Queryable, storeId: string, flowId: string, attributionDays: number, abBranch?: string): Promise<{ converted: number; revenue: number }> {
  const { rows } = await db.query<{ converted: number; revenue: number | null }>(
    `SELECT count(*)::int AS converted, sum(e.value) AS revenue FROM events e
     WHERE e.store_id = $1 AND e.metric = 'Placed Order' AND EXISTS (
       SELECT 1 FROM messages m WHERE m.store_id = e.store_id AND m.flow_id = $2::uuid AND m.profile_id = e.profile_id
         AND m.status = 'sent' AND ($4::text IS NULL OR m.ab_branch = $4)
         AND e.time > m.sent_at AND e.time <= m.sent_at + make_interval(days => $3))`,
    [storeId, flowId, attributionDays, abBranch ?? null],
  );
  return { converted: rows[0]?.converted ?? 0, revenue: Number(rows[0]?.revenue ?? 0) };
}
