// Flow entry for every trigger: candidates pass the flow filters and the re-entry rule, then
// become runs under a deterministic key, so the same trigger can never start a second run.
import type { ProfileId } from '../model/ids.ts';
import type { RunContext, TriggerEvent } from '../model/flow.ts';
import type { Queryable } from '../db/pool.ts';
import type { TriggerableFlow } from '../db/repositories/flows.ts';
import { insertRuns, recentEntrants } from '../db/repositories/flow-runs.ts';
import { loadProfiles } from '../db/repositories/flow-facts.ts';
import { FlowDefinition } from './definition.ts';
import { allHold, conditionFacts } from './conditions.ts';
import { durationMs } from './flow-time.ts';

export type Candidate = {
  profileId: ProfileId;
  /** Unique per trigger occurrence and profile. */
  key: string;
  triggerEvent: TriggerEvent | null;
  context?: RunContext;
  /** When the first step is due (date triggers start at the local time of day). */
  startAt?: Date;
};

export async function enterFlow(db: Queryable, flow: TriggerableFlow, candidates: Candidate[], now: Date): Promise<number> {
  if (candidates.length === 0) return 0;
  const def = FlowDefinition.parse(flow.definition);
  const profiles = await loadProfiles(db, candidates.map((c) => ({ storeId: flow.storeId, id: c.profileId })));
  let eligible = candidates.filter((c) => {
    const p = profiles.get(c.profileId);
    return p && allHold(def.filters, conditionFacts(p, c.triggerEvent as unknown as Record<string, unknown> | null));
  });
  if (def.reentry.mode !== 'always') {
    const since = def.reentry.mode === 'after' ? new Date(now.getTime() - durationMs(def.reentry.after!)) : null;
    const recent = await recentEntrants(db, flow.storeId, flow.id, eligible.map((c) => c.profileId), since);
    const seen = new Set<string>();
    eligible = eligible.filter((c) => {
      if (recent.has(c.profileId) || seen.has(c.profileId)) return false;
      seen.add(c.profileId);
      return true;
    });
  }
  const inserted = await insertRuns(
    db,
    eligible.map((c) => ({
      storeId: flow.storeId,
      flowId: flow.id,
      version: flow.version,
      profileId: c.profileId,
      // "once" is enforced by the key itself, so even two workers racing cannot enter twice.
      key: def.reentry.mode === 'once' ? `once:${c.profileId}` : c.key,
      status: 'active',
      startStep: def.start,
      nextAt: c.startAt ?? now,
      enteredAt: now,
      triggerEvent: c.triggerEvent,
      context: c.context ?? { webhooks: {}, branches: {} },
    })),
  );
  return inserted.length;
}
