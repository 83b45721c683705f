// Replaying parked deliveries after a fix, from the CLI or the support console: the same
// processing as the worker's, on the deliveries support names, recorded in the support audit log
// as a change to the store (who asked, which deliveries, what came of it).
import type { Runtime } from '../runtime.ts';
import type { StoreId } from '../model/ids.ts';
import { insertAudit } from '../db/repositories/support-audit.ts';
import { replayParked, type ReplayResult } from './process-webhooks.ts';

export type { ReplayResult };

/** One line for the CLI and the console notice. */
export function describeReplay(r: ReplayResult): string {
  if (r.replayed === 0) return 'no parked delivery matched';
  const head = `replayed ${r.replayed} ${r.replayed === 1 ? 'delivery' : 'deliveries'}: ${r.applied} applied, ${r.parked.length} still parked`;
  const first = r.parked[0];
  return first ? `${head} (#${first.id}: ${(first.reason ?? 'no reason recorded').split('\n')[0]})` : head;
}

/** Whether the replay did what was asked: something matched and nothing is still parked. */
export const replaySucceeded = (r: ReplayResult) => r.replayed > 0 && r.parked.length === 0;

export async function replayDeliveries(rt: Omit<Runtime, 'close'>, q: { storeId: StoreId; ids: number[] | null; actor: string }): Promise<ReplayResult> {
  const result = await replayParked(rt, q.storeId, q.ids);
  await insertAudit(rt.db.pool, {
    actor: q.actor,
    kind: 'change',
    storeId: q.storeId,
    action: 'replayed parked deliveries',
    target: q.ids ? q.ids.map((id) => `delivery ${id}`).join(', ') : 'all parked deliveries',
    after: { replayed: result.replayed, applied: result.applied, stillParked: result.parked.map((p) => p.id) },
  });
  return result;
}
