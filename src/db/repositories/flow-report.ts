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
 * profile. Each order counts once however many of the flow's messages preceded it. Revenue is
 * each such order's value less what was refunded or cancelled of it (matched by OrderID), never
 * below zero: a cancelled order that was also refunded is not taken off twice.
 */
export async function conversions(db: Queryable, storeId: string, flowId: string, attributionDays: number, abBranch?: string): Promise<{ converted: number; revenue: number }> {
  const { rows } = await db.query<{ converted: number; revenue: number | null }>(
    `WITH attributed AS (
       SELECT e.value, e.properties->>'OrderID' AS order_id FROM events e
       WHERE e.store_id = $1 AND e.metric = 'Placed Order' AND EXISTS (
         SELECT 1 FROM messages m WHERE m.store_id = e.store_id AND m.flow_id = $2::uuid AND m.profile_id = e.profile_id
           AND m.status = 'sent' AND ($4::text IS NULL OR m.ab_branch = $4)
           AND e.time > m.sent_at AND e.time <= m.sent_at + make_interval(days => $3))
     )
     SELECT count(*)::int AS converted,
       sum(GREATEST(0, a.value - COALESCE((
         SELECT sum(c.value) FROM events c
         WHERE c.store_id = $1 AND c.metric IN ('Refunded Order', 'Cancelled Order') AND a.order_id IS NOT NULL AND c.properties->>'OrderID' = a.order_id
       ), 0))) AS revenue
     FROM attributed a`,
    [storeId, flowId, attributionDays, abBranch ?? null],
  );
  return { converted: rows[0]?.converted ?? 0, revenue: Number(rows[0]?.revenue ?? 0) };
}
