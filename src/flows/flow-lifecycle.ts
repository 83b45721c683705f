// A flow's life after it is built: cloned as a new draft, archived out of the way (stopped, kept
// with its report) or deleted, which is refused while any run is still inside it.
import type pg from 'pg';
import type { FlowId } from '../model/ids.ts';
import type { Store } from '../model/store.ts';
import { withTransaction } from '../db/pool.ts';
import { countUnfinishedRuns, deleteFlowRow, lockFlow, setFlowArchived } from '../db/repositories/flows.ts';
import { pauseFlowRuns } from '../db/repositories/flow-runs.ts';
import { createFlow, getFlow, type FlowResult, type TriggerPolicy } from './flow-service.ts';

export async function cloneFlow(pool: pg.Pool, store: Store, flowId: FlowId, policy: TriggerPolicy): Promise<FlowResult | undefined> {
  const found = await getFlow(pool, store, flowId);
  if (!found) return undefined;
  const name = `Copy of ${found.definition.name}`.slice(0, 255);
  return createFlow(pool, store, { ...found.definition, name, status: 'draft' }, policy);
}

/** Archiving stops the flow as a draft (its runs pause where they are); restoring leaves it a draft. */
export async function archiveFlow(pool: pg.Pool, store: Store, flowId: FlowId, archive: boolean, now = new Date()): Promise<boolean> {
  return withTransaction(pool, async (tx) => {
    const flow = await setFlowArchived(tx, store.id, flowId, archive ? now : null);
    if (!flow) return false;
    if (archive) await pauseFlowRuns(tx, store.id, flowId);
    return true;
  });
}

export type DeleteResult = { ok: true } | { ok: false; reason: 'not-found' } | { ok: false; reason: 'runs-waiting'; runs: number };

export async function deleteFlow(pool: pg.Pool, store: Store, flowId: FlowId): Promise<DeleteResult> {
  return withTransaction(pool, async (tx) => {
    // The row lock makes a run entering now wait for this decision (entry locks the flow row: LIVE_FLOWS in flow-runs.ts).
    if (!(await lockFlow(tx, store.id, flowId))) return { ok: false, reason: 'not-found' } as const;
    const runs = await countUnfinishedRuns(tx, store.id, flowId);
    if (runs > 0) return { ok: false, reason: 'runs-waiting', runs } as const;
    await deleteFlowRow(tx, store.id, flowId);
    return { ok: true } as const;
  });
}
