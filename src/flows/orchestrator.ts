// The deterministic heart of the engine: given a run, its flow version and the facts read for
// this tick, decide what the run does next. No I/O and no clock of its own: the caller passes
// `now` and carries out the effects, so a replay with the same inputs makes the same decisions
// and the same dedupe keys. What each step type does is its module's `advance`
// (src/flows/steps/); this walks the run from step to step and keeps the run's bookkeeping.
import type { FlowRun, RunStatus } from '../model/flow.ts';
import type { FlowDefinition } from './definition.ts';
import { conditionFacts, type ConditionFacts } from './conditions.ts';
import { stepModule } from './steps/registry.ts';
import type { Advance, RunFacts, StepVisit } from './steps/step-module.ts';

export type { Advance, Effect, ProfileFacts, RunFacts } from './steps/step-module.ts';

/** Steps one run may take in a single tick; a longer chain continues next tick. */
const MAX_STEPS_PER_TICK = 50;

export function advance(run: FlowRun, def: FlowDefinition, facts: RunFacts): Advance {
  const byId = new Map(def.steps.map((s) => [s.id, s]));
  const now = facts.now;
  const out: Advance = {
    status: run.status,
    currentStep: run.currentStep,
    nextAt: run.nextAt,
    stepCount: run.stepCount,
    context: structuredClone(run.context),
    waitMetric: run.waitMetric,
    endReason: null,
    effects: [],
    logs: [],
  };
  const cond: ConditionFacts = conditionFacts(facts.profile, run.triggerEvent as unknown as Record<string, unknown> | null);
  const log = (stepId: string, outcome: string) => out.logs.push({ seq: out.stepCount, stepId, outcome });
  const goTo = (stepId: string, next: string | undefined, outcome: string) => {
    log(stepId, outcome);
    out.stepCount++;
    out.currentStep = next ?? null;
    out.nextAt = now;
  };
  const end = (status: 'completed' | 'exited', reason: string) => {
    out.status = status;
    out.currentStep = null;
    out.nextAt = null;
    out.waitMetric = null;
    out.endReason = reason;
  };
  const hold = (until: Date, status: RunStatus = 'active') => {
    out.status = status;
    out.nextAt = until;
  };

  const visit: Omit<StepVisit, 'visitKey'> = {
    run,
    facts,
    flow: def,
    out,
    now,
    cond,
    // The metric splits this run passed on "no", each asked again before a message.
    rechecks: () => (out.context.noSplits ?? []).flatMap((id) => {
      const s = byId.get(id);
      const c = s && stepModule(s)?.needs.recheck?.(s);
      return c ? [c] : [];
    }),
    log,
    goTo,
    end,
    hold,
  };

  if (!facts.storeActive) {
    out.status = 'paused';
    out.endReason = 'store uninstalled';
    return out;
  }

  for (let taken = 0; taken < MAX_STEPS_PER_TICK; taken++) {
    if (out.currentStep === null) {
      end('completed', 'reached the end');
      return out;
    }
    const step = byId.get(out.currentStep);
    if (!step) {
      // Only possible if a stored version was edited by hand; validation refuses such graphs.
      end('exited', `step ${out.currentStep} no longer exists`);
      return out;
    }
    const visitKey = `${run.id}:${step.id}:${out.stepCount}`;
    const mod = stepModule(step);
    if (!mod) {
      // Parsing refuses an unknown type, so this is a definition stored by a later version: the
      // run ends, said plainly, instead of spinning through the step budget.
      end('exited', `step type ${String((step as { type?: unknown }).type)} is not known to this version`);
      return out;
    }
    if (mod.advance(step, { ...visit, visitKey }) === 'stop') return out;
  }
  // Step budget spent: carry on next tick rather than monopolising the worker.
  out.nextAt = now;
  return out;
}
