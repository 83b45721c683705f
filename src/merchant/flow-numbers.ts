// Numbers for the flows list (the last seven days) and the per-flow report charts.
import type pg from 'pg';
import type { FlowId } from '../model/ids.ts';
import type { Flow } from '../model/flow.ts';
import type { Store } from '../model/store.ts';
import { flowDailySeries, flowNumbersSince, type DailyPoint, type FlowWeek } from '../db/repositories/merchant-reads.ts';
import { getFlow, listStoreFlows } from '../flows/flow-service.ts';
import { flowReport, type FlowReport } from '../flows/report.ts';

const DAY_MS = 24 * 3_600_000;

export async function flowsWithWeek(pool: pg.Pool, store: Store, now = new Date()): Promise<Array<{ flow: Flow; week: FlowWeek }>> {
  const [flows, numbers] = await Promise.all([listStoreFlows(pool, store), flowNumbersSince(pool, store.id, new Date(now.getTime() - 7 * DAY_MS))]);
  const byFlow = new Map(numbers.map((n) => [n.flowId, n]));
  return flows.map((flow) => ({ flow, week: byFlow.get(flow.id) ?? { flowId: flow.id, entered: 0, sent: 0, opened: 0, clicked: 0 } }));
}

export type FlowReportPage = { flow: Flow; report: FlowReport; series: DailyPoint[] };

export async function flowReportPage(pool: pg.Pool, store: Store, flowId: FlowId, days = 30, now = new Date()): Promise<FlowReportPage | undefined> {
  const found = await getFlow(pool, store, flowId);
  if (!found) return undefined;
  const [report, series] = await Promise.all([
    flowReport(pool, store, flowId),
    flowDailySeries(pool, store.id, flowId, new Date(now.getTime() - (days - 1) * DAY_MS), found.definition.attributionDays),
  ]);
  if (!report) return undefined;
  return { flow: found.flow, report, series };
}
