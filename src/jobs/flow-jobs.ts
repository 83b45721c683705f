// Flow work on the worker: entries from the trigger queue, ticks over due runs, date triggers.
// Each job loops while there is work, up to a time budget, so a backlog drains at full speed
// without one job holding its Agenda lock for long.
import type { Runtime } from '../runtime.ts';
import { processTriggerQueue, runDateTriggers } from '../flows/enter-flows.ts';
import { runFlowTick } from '../flows/tick.ts';
import { evaluateAllSegments, evaluateForEvents } from '../flows/segments.ts';
import { snapshotSegmentCounts } from '../flows/segment-history.ts';
import { runSellOutForecasts } from '../flows/sell-out-forecast-trigger.ts';
import { withTransaction } from '../db/pool.ts';
import { runBackInStockRecounts } from '../flows/back-in-stock-trigger.ts';

/** How many tick jobs may run at once across all workers (each is its own Agenda job). */
export const FLOW_TICK_SLOTS = 4;
const BUDGET_MS = 20_000;

export async function runTriggerJob(rt: Runtime, clock: () => Date = () => new Date()): Promise<number> {
  const deadline = Date.now() + BUDGET_MS;
  let taken = 0;
  while (Date.now() < deadline) {
    const now = clock();
    const r = await processTriggerQueue(rt.db.pool, { now });
    taken += r.taken;
    for (const [storeId, touched] of Map.groupBy(r.touched, (t) => t.storeId)) await evaluateForEvents(rt.db.pool, storeId, touched, now);
    if (r.taken === 0) break;
  }
  return taken;
}

export async function runTickJob(rt: Runtime, clock: () => Date = () => new Date(), batch = 500): Promise<number> {
  const deadline = Date.now() + BUDGET_MS;
  let steps = 0;
  while (Date.now() < deadline) {
    const r = await runFlowTick({ pool: rt.db.pool, config: rt.config, secrets: rt.secrets, logger: rt.logger }, { now: clock(), batch, leaseMs: rt.config.flowLeaseSeconds * 1000 });
    steps += r.steps;
    if (r.claimed < batch) break;
  }
  return steps;
}

export async function runDateJob(rt: Runtime, clock: () => Date = () => new Date()): Promise<number> {
  return runDateTriggers(rt.db.pool, { now: clock() });
}

export async function runSegmentJob(rt: Runtime, clock: () => Date = () => new Date()): Promise<number> {
  const now = clock();
  const joined = await evaluateAllSegments(rt.db.pool, now);
  await snapshotSegmentCounts(rt.db.pool, now);
  return joined;
}

/** Sales move a forecast with no stock change: every forecast flow is evaluated on a schedule too. */
export async function runSellOutForecastJob(rt: Runtime, clock: () => Date = () => new Date()): Promise<number> {
  return withTransaction(rt.db.pool, (tx) => runSellOutForecasts(tx, clock()));
}

/** Back in stock: every open episode whose recount is due releases its next batch, or ends. */
export async function runBackInStockJob(rt: Runtime, clock: () => Date = () => new Date()): Promise<number> {
  return runBackInStockRecounts(rt.db.pool, clock());
}
