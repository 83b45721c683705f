// GET /api/v1/flows/:id/report: what the flow did, including what happened to every run.
import type pg from 'pg';
import type { Store } from '../model/store.ts';
import type { FlowId } from '../model/ids.ts';
import { flowMessageStats } from '../db/repositories/messages.ts';
import { branchCounts, conversions, runCounts } from '../db/repositories/flow-report.ts';
import { getFlow } from './flow-service.ts';
import { waitlistNumbers, type WaitlistNumbers } from '../db/repositories/back-in-stock.ts';

export type FlowReport = {
  entered: number;
  sent: number;
  skipped: Record<string, number>;
  failed: number;
  opened: number;
  clicked: number;
  converted: number;
  revenue: number;
  /** Where the runs are: active, waiting, paused (flow in draft), completed, exited. */
  runs: Record<string, number>;
  /** Messages not sent yet: queued for delivery, or held for review (manual status). */
  pending: { queued: number; held: number };
  branches: Array<{ stepId: string; branch: number; weight: number; entered: number; sent: number; opened: number; clicked: number; converted: number; revenue: number }>;
  /** Back-in-stock flows: the store's waitlist and what this flow released from it. */
  backInStock?: WaitlistNumbers;
};

export async function flowReport(pool: pg.Pool, store: Store, flowId: FlowId): Promise<FlowReport | undefined> {
  const found = await getFlow(pool, store, flowId);
  if (!found) return undefined;
  const days = found.definition.attributionDays;
  const [runs, stats, conv, branches] = await Promise.all([
    runCounts(pool, store.id, flowId),
    flowMessageStats(pool, store.id, flowId),
    conversions(pool, store.id, flowId, days),
    branchCounts(pool, store.id, flowId),
  ]);
  const steps = new Map(found.definition.steps.map((s) => [s.id, s]));
  const perBranch = await Promise.all(
    branches.map(async (b) => {
      const label = `${b.stepId}:${b.branch}`;
      const [s, c] = await Promise.all([flowMessageStats(pool, store.id, flowId, label), conversions(pool, store.id, flowId, days, label)]);
      const step = steps.get(b.stepId);
      const weight = step?.type === 'ab' ? (step.branches[b.branch]?.weight ?? 0) : 0;
      return { stepId: b.stepId, branch: b.branch, weight, entered: b.entered, sent: s.sent, opened: s.opened, clicked: s.clicked, ...c };
    }),
  );
  const backInStock = found.definition.trigger.type === 'back-in-stock' ? await waitlistNumbers(pool, store.id, flowId, days, new Date()) : undefined;
  return {
    ...(backInStock ? { backInStock } : {}),
    entered: Object.values(runs).reduce((a, b) => a + b, 0),
    sent: stats.sent,
    skipped: stats.skipped,
    failed: stats.failed,
    opened: stats.opened,
    clicked: stats.clicked,
    converted: conv.converted,
    revenue: conv.revenue,
    runs,
    pending: { queued: stats.queued, held: stats.held },
    branches: perBranch.sort((a, b) => a.stepId.localeCompare(b.stepId) || a.branch - b.branch),
  };
}
