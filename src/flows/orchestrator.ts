// The deterministic heart of the engine: given a run, its flow version and the facts read for
// this tick, decide what the run does next. No I/O and no clock of its own: the caller passes
// `now` and carries out the effects, so a replay with the same inputs makes the same decisions
// and the same dedupe keys.
import { createHash } from 'node:crypto';
import type { FlowRun, FlowStatus, RunContext, RunStatus } from '../model/flow.ts';
import type { FactProfile } from '../model/profile.ts';
import type { RunUpdate } from '../model/flow.ts';
import type { FlowDefinition, Step } from './definition.ts';
import { allHold, conditionFacts, entryTime, holds, type ConditionFacts } from './conditions.ts';
import { addDuration, durationMs, nextLocalTime, quietUntil } from './flow-time.ts';
import { WEBHOOK_MAX_ATTEMPTS } from './outbound-webhook.ts';
import { dropHolds } from './price-drop-rule.ts';

/** What a run knows of its profile (read in bulk per tick). */
export type ProfileFacts = FactProfile;

export type RunFacts = {
  now: Date;
  flowStatus: FlowStatus;
  storeActive: boolean;
  profile: ProfileFacts;
  lastMessaged: { email: Date | null; sms: Date | null };
  /** How many `metric` events the profile has at or after `since`. */
  metricCount: (metric: string, since: Date) => number;
  /** Current stock of the run's item (low-inventory runs); undefined when the run has none. */
  itemQuantity?: number | null;
  /** Current price of the run's item (price-drop runs); null when the item was removed. */
  itemPrice?: number | null;
  /** Whether the profile is still in the segment the run entered from (segment-triggered runs). */
  inSegment?: boolean;
  /** Hours the run's item lasts at its recent pace (sell-out forecast runs); null when nothing sold. */
  itemForecastHours?: number | null;
  /** The outcome of a finished webhook call, by its idempotency key (the step visit). */
  webhookOutcome?: (key: string) => { ok: boolean; attempts: number; error?: string } | undefined;
};

export type Effect =
  | {
      kind: 'message'; channel: 'email' | 'sms'; stepId: string; dedupeKey: string; status: 'queued' | 'held'; step: Extract<Step, { type: 'email' | 'sms' }>; abBranch: string | null;
      /** The passed "has not done X" splits, for delivery to ask once more. */
      exitIf: Array<{ metric: string; since: string; atLeast: number; reason: string }>;
    }
  | { kind: 'skip'; channel: 'email' | 'sms'; stepId: string; dedupeKey: string; reason: string }
  | { kind: 'update-profile'; stepId: string; set: Record<string, unknown> }
  | { kind: 'webhook'; stepId: string; url: string; key: string };

export type Advance = Omit<RunUpdate, 'storeId' | 'id' | 'endedAt'> & {
  effects: Effect[];
  logs: Array<{ seq: number; stepId: string; outcome: string }>;
};

/** Steps one run may take in a single tick; a longer chain continues next tick. */
const MAX_STEPS_PER_TICK = 50;
/**
 * A run parked on a webhook call is woken when the call ends; this is only the backstop should
 * that wake be missed, after which the run looks at its call again.
 */
export const WEBHOOK_PARK_MS = 15 * 60_000;

/** A stable number in [0, 100) from the run and step: the same run always takes the same A/B branch. */
export function bucket(runId: string, stepId: string): number {
  const h = createHash('sha256').update(`${runId}:${stepId}`).digest();
  return (h.readUInt32BE(0) / 0x1_0000_0000) * 100;
}

function messageSkipReason(step: Extract<Step, { type: 'email' | 'sms' }>, f: RunFacts): string | null {
  if (step.type === 'email') {
    if (!f.profile.email) return 'no email address';
    if (f.profile.consent.email === 'unsubscribed') return 'no consent';
    return null;
  }
  if (!f.profile.phone) return 'no phone number';
  if (f.profile.consent.sms !== 'subscribed') return 'no consent';
  return null;
}

type MetricCondition = { metric: string; since: string; atLeast: number };

const metricSince = (c: MetricCondition, run: FlowRun, now: Date): Date => (c.since === 'entry' ? entryTime(run) : new Date(now.getTime() - durationMs(c.since)));
const metricReason = (c: MetricCondition): string => `${c.metric} since ${c.since}`;

/** "Has done `metric` at least `atLeast` times since entry (the trigger event's time) or within a window." */
function metricHolds(c: MetricCondition, run: FlowRun, facts: RunFacts): boolean {
  return facts.metricCount(c.metric, metricSince(c, run, facts.now)) >= c.atLeast;
}

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
    switch (step.type) {
      case 'delay': {
        const due = step.duration ? addDuration(now, step.duration) : nextLocalTime(now, step.until!.time, facts.profile.timezone, step.until!.weekdays);
        goTo(step.id, step.next, `delayed until ${due.toISOString()}`);
        out.nextAt = due;
        out.status = 'active';
        return out;
      }
      case 'wait-for': {
        const since = out.context.waitSince ? new Date(out.context.waitSince) : now;
        const deadline = addDuration(since, step.timeout);
        if (out.context.waitSince && facts.metricCount(step.metric, since) > 0) {
          delete out.context.waitSince;
          out.waitMetric = null;
          out.status = 'active';
          goTo(step.id, step.onEvent, `${step.metric} happened`);
          continue;
        }
        if (out.context.waitSince && now >= deadline) {
          delete out.context.waitSince;
          out.waitMetric = null;
          out.status = 'active';
          goTo(step.id, step.onTimeout, 'timed out');
          continue;
        }
        out.context.waitSince = since.toISOString();
        out.waitMetric = step.metric;
        hold(deadline, 'waiting');
        return out;
      }
      case 'split': {
        const c = step.condition;
        const yes = 'metric' in c ? metricHolds(c, run, facts) : holds(c, cond);
        if (!yes && 'metric' in c && !out.context.noSplits?.includes(step.id)) out.context.noSplits = [...(out.context.noSplits ?? []), step.id];
        goTo(step.id, yes ? step.yes : step.no, yes ? 'yes' : 'no');
        continue;
      }
      case 'trigger-split': {
        const yes = allHold(step.where, cond);
        goTo(step.id, yes ? step.yes : step.no, yes ? 'yes' : 'no');
        continue;
      }
      case 'ab': {
        let chosen = out.context.branches[step.id];
        if (chosen === undefined) {
          const b = bucket(run.id, step.id);
          let acc = 0;
          chosen = step.branches.length - 1;
          for (const [i, branch] of step.branches.entries()) {
            acc += branch.weight;
            if (b < acc) {
              chosen = i;
              break;
            }
          }
          out.context.branches[step.id] = chosen;
        }
        goTo(step.id, step.branches[chosen]!.next, `branch:${chosen}`);
        continue;
      }
      case 'update-profile': {
        out.effects.push({ kind: 'update-profile', stepId: step.id, set: step.set });
        Object.assign(facts.profile.properties, step.set);
        goTo(step.id, step.next, 'updated');
        continue;
      }
      case 'exit':
        log(step.id, 'exit');
        out.stepCount++;
        end('exited', 'exit step');
        return out;
      case 'webhook': {
        // The call is made by the outbound queue, never here: the run parks until it ends
        // (delivered, or failed for good after its retries) and then goes on either way.
        // An entry written before calls were queued may be an attempt still to be retried.
        const stored = out.context.webhooks[visitKey];
        const result = stored && (stored.ok || stored.attempts >= WEBHOOK_MAX_ATTEMPTS) ? stored : facts.webhookOutcome?.(visitKey);
        if (result) {
          out.context.webhooks[visitKey] = result;
          out.status = 'active';
          goTo(step.id, step.next, result.ok ? 'delivered' : `failed: ${result.error ?? 'unknown'}`);
          continue;
        }
        out.effects.push({ kind: 'webhook', stepId: step.id, url: step.url, key: visitKey });
        out.waitMetric = null;
        hold(new Date(now.getTime() + WEBHOOK_PARK_MS), 'waiting');
        return out;
      }
      case 'email':
      case 'sms': {
        const skip = (reason: string) => out.effects.push({ kind: 'skip', channel: step.type, stepId: step.id, dedupeKey: `flow:${visitKey}`, reason });
        // A split passed on "has not done X" is asked again: X may have arrived since (late or
        // out-of-order webhooks), and then this message must not go.
        const guards = (out.context.noSplits ?? []).flatMap((id) => {
          const s = byId.get(id);
          return s?.type === 'split' && 'metric' in s.condition ? [s.condition] : [];
        });
        const changed = guards.find((c) => metricHolds(c, run, facts));
        if (changed) {
          const reason = metricReason(changed);
          skip(reason);
          log(step.id, `skipped: ${reason}`);
          out.stepCount++;
          end('exited', reason);
          return out;
        }
        if (!allHold(def.filters, cond)) {
          skip('no longer matches the flow filters');
          log(step.id, 'skipped: filters');
          out.stepCount++;
          end('exited', 'no longer matches the flow filters');
          return out;
        }
        if (run.context.item) {
          const q = facts.itemQuantity;
          const { threshold, forecast } = run.context.item;
          const hours = facts.itemForecastHours;
          const reason =
            q === null || q === undefined || q <= 0 ? 'sold out'
            : threshold !== undefined && q > threshold ? 'restocked'
            : forecast && (hours === null || hours === undefined || hours > forecast.withinHours) ? 'no longer forecast to sell out'
            : null;
          if (reason) {
            skip(reason);
            goTo(step.id, step.next, `skipped: ${reason}`);
            continue;
          }
        }
        if (run.context.segmentId && facts.inSegment === false) {
          skip('left the segment');
          goTo(step.id, step.next, 'skipped: left the segment');
          continue;
        }
        if (run.context.date) {
          // The date is read again: a merge that found an earlier first order, or an edited birthday, moves it.
          const current = cond.profile[run.context.date.property];
          if (current === undefined || current === null || String(current) !== run.context.date.value) {
            skip('date changed');
            goTo(step.id, step.next, 'skipped: date changed');
            continue;
          }
        }
        if (run.context.priceDrop) {
          const d = run.context.priceDrop;
          const p = facts.itemPrice;
          const reason = p === null || p === undefined ? 'item removed' : dropHolds(d.seenPrice, p, d) ? null : 'price back up';
          if (reason) {
            skip(reason);
            goTo(step.id, step.next, `skipped: ${reason}`);
            continue;
          }
        }
        const noSend = messageSkipReason(step, facts);
        if (noSend) {
          skip(noSend);
          goTo(step.id, step.next, `skipped: ${noSend}`);
          continue;
        }
        const last = facts.lastMessaged[step.type];
        const windowMs = def.smartSending.windowHours * 3_600_000;
        if (def.smartSending.enabled && last && now.getTime() - last.getTime() < windowMs) {
          if (def.smartSending.mode === 'hold') {
            hold(new Date(last.getTime() + windowMs));
            return out;
          }
          skip('smart sending');
          goTo(step.id, step.next, 'skipped: smart sending');
          continue;
        }
        if (step.type === 'sms') {
          const until = quietUntil(now, def.quietHours, facts.profile.timezone);
          if (until) {
            hold(until);
            return out;
          }
        }
        const branches = Object.entries(out.context.branches);
        out.effects.push({
          kind: 'message',
          channel: step.type,
          stepId: step.id,
          dedupeKey: `flow:${visitKey}`,
          status: facts.flowStatus === 'manual' ? 'held' : 'queued',
          step,
          abBranch: branches.length ? branches.map(([s, b]) => `${s}:${b}`).join(',') : null,
          exitIf: guards.map((c) => ({ metric: c.metric, since: metricSince(c, run, now).toISOString(), atLeast: c.atLeast, reason: metricReason(c) })),
        });
        facts.lastMessaged[step.type] = now;
        goTo(step.id, step.next, facts.flowStatus === 'manual' ? 'held for review' : 'queued');
        continue;
      }
      default: {
        // Every step type has a case: a new one fails the type check here until it is handled.
        // At run time (a stored definition from a later version) the run ends, said plainly,
        // instead of spinning through the step budget.
        const unknown: never = step;
        end('exited', `step type ${String((unknown as { type?: unknown }).type)} is not known to this version`);
        return out;
      }
    }
  }
  // Step budget spent: carry on next tick rather than monopolising the worker.
  out.nextAt = now;
  return out;
}
