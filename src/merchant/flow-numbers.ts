// Numbers for the flows list (the last seven days) and the per-flow report charts.
import type pg from 'pg';
import type { FlowId } from '../model/ids.ts';
import type { Flow } from '../model/flow.ts';
import type { Store } from '../model/store.ts';
import { flowDailySeries, flowNumbersSince, type DailyPoint, type FlowWeek } from '../db/repositories/merchant-reads.ts';
import { getFlow, listStoreFlows } from '../flows/flow-service.ts';
import { flowReport, type FlowReport } from '../flows/report.ts';
import type { FlowDefinition } from '../flows/definition.ts';

const DAY_MS = 24 * 3_600_000;

export async function flowsWithWeek(pool: pg.Pool, store: Store, now = new Date()): Promise<Array<{ flow: Flow; week: FlowWeek }>> {
  const [flows, numbers] = await Promise.all([listStoreFlows(pool, store), flowNumbersSince(pool, store.id, new Date(now.getTime() - 7 * DAY_MS))]);
  const byFlow = new Map(numbers.map((n) => [n.flowId, n]));
  return flows.map((flow) => ({ flow, week: byFlow.get(flow.id) ?? { flowId: flow.id, entered: 0, sent: 0, opened: 0, clicked: 0 } }));
}

export type AbArm = { branch: number; label: string; weight: number; next: string | null; entered: number; sent: number; opened: number; clicked: number; converted: number; revenue: number; openRate: string; clickRate: string };
export type AbTest = { stepId: string; decided: boolean; arms: AbArm[] };
export type FlowReportPage = { flow: Flow; report: FlowReport; series: DailyPoint[]; abTests: AbTest[] };

const rate = (n: number, of: number) => (of > 0 ? `${Math.round((n / of) * 1000) / 10}%` : '—');

/** Every A/B step of the flow with each arm's numbers (zero for an arm nobody reached yet). */
export function abTests(def: FlowDefinition, branches: FlowReport['branches']): AbTest[] {
  return def.steps.flatMap((step) => {
    if (step.type !== 'ab') return [];
    const arms = step.branches.map((b, i) => {
      const n = branches.find((x) => x.stepId === step.id && x.branch === i) ?? { entered: 0, sent: 0, opened: 0, clicked: 0, converted: 0, revenue: 0 };
      return {
        branch: i, label: `Arm ${String.fromCharCode(65 + i)}`, weight: b.weight, next: b.next ?? null,
        entered: n.entered, sent: n.sent, opened: n.opened, clicked: n.clicked, converted: n.converted, revenue: n.revenue,
        openRate: rate(n.opened, n.sent), clickRate: rate(n.clicked, n.sent),
      };
    });
    return [{ stepId: step.id, decided: arms.some((a) => a.weight === 100), arms }];
  });
}

/** The definition with one arm taking every shopper from now on; runs already split keep their arm. */
export function pickWinner(def: FlowDefinition, stepId: string, branch: number): FlowDefinition | null {
  const step = def.steps.find((s) => s.id === stepId);
  if (!step || step.type !== 'ab' || !step.branches[branch]) return null;
  const branches = step.branches.map((b, i) => ({ ...b, weight: i === branch ? 100 : 0 }));
  return { ...def, steps: def.steps.map((s) => (s.id === stepId ? { ...step, branches } : s)) };
}

export async function flowReportPage(pool: pg.Pool, store: Store, flowId: FlowId, days = 30, now = new Date()): Promise<FlowReportPage | undefined> {
  const found = await getFlow(pool, store, flowId);
  if (!found) return undefined;
  const [report, series] = await Promise.all([
    flowReport(pool, store, flowId),
    flowDailySeries(pool, store.id, flowId, new Date(now.getTime() - (days - 1) * DAY_MS), found.definition.attributionDays),
  ]);
  if (!report) return undefined;
  return { flow: found.flow, report, series, abTests: abTests(found.definition, report.branches) };
}
