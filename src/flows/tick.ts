// One flow tick: lease a batch of due runs, read their facts in bulk, let the orchestrator
// decide, then write every decision (messages, skips, webhook calls to queue, profile updates,
// run states, step logs) in one transaction. Nothing here waits on another server: a webhook
// step queues its call (outbound_calls) and parks the run until the call ends. A worker that dies
// mid-tick commits nothing; its lease lapses and the next tick replays the same decisions with the
// same dedupe keys, so nothing is sent twice or lost.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { FlowRun } from '../model/flow.ts';
import type { Config } from '../config.ts';
import type { SecretBox } from '../security/secret-box.ts';
import type { FlowId, ProfileId, StoreId } from '../model/ids.ts';
import { withTransaction } from '../db/pool.ts';
import { claimDueRuns, insertStepLogs, saveRuns, type StepLog } from '../db/repositories/flow-runs.ts';
import type { RunUpdate } from '../model/flow.ts';
import { findFlowVersion } from '../db/repositories/flows.ts';
import { flowHeads, itemStates, lastMessaged, loadProfiles, mergeProfileProperties, metricTimes } from '../db/repositories/flow-facts.ts';
import type { FactProfile } from '../model/profile.ts';
import { enqueueDecisions, type Decision } from '../messaging/outbox.ts';
import { FlowDefinition, successors } from './definition.ts';
import { advance, type Advance, type Effect } from './orchestrator.ts';
import { stepModule } from './steps/registry.ts';
import { finishedCalls, insertOutboundCalls, wakeRunsWithFinishedCalls, type NewOutboundCall } from '../db/repositories/outbound-calls.ts';
import { renderMessage } from './render-message.ts';
import { memberships } from '../db/repositories/segments.ts';
import { itemForecasts } from '../db/repositories/sell-out-forecast.ts';
import { durationMs } from './flow-time.ts';
import { entryTime } from './conditions.ts';

export type TickDeps = { pool: pg.Pool; config: Pick<Config, 'appUrl'>; secrets: SecretBox; logger: Logger };
export type TickResult = { claimed: number; steps: number; messages: number };

const definitions = new Map<string, FlowDefinition>();

async function definitionOf(pool: pg.Pool, run: FlowRun): Promise<FlowDefinition> {
  const key = `${run.flowId}:${run.version}`;
  let def = definitions.get(key);
  if (!def) {
    // Versions never change once written, so a parsed one can be kept for the process's life.
    def = FlowDefinition.parse(await findFlowVersion(pool, run.storeId, run.flowId, run.version));
    definitions.set(key, def);
  }
  return def;
}

type Needs = { metrics: string[]; lookbackMs: number; messages: boolean };

const needsByDefinition = new WeakMap<FlowDefinition, Map<string | null, Needs>>();

/**
 * What a run standing at `from` can ask about during this tick: the metrics of the splits and
 * waits it can reach (and how far back they look), and whether it can reach a message. A delay
 * ends the walk, since the run stops there until a later tick; anything else may carry on.
 * Facts no run of a batch can ask for are not read.
 */
function runNeeds(def: FlowDefinition, from: string | null): Needs {
  let byStep = needsByDefinition.get(def);
  if (!byStep) {
    byStep = new Map();
    needsByDefinition.set(def, byStep);
  }
  const known = byStep.get(from);
  if (known) return known;
  const byId = new Map(def.steps.map((s) => [s.id, s]));
  const metrics = new Set<string>();
  let lookbackMs = 0;
  let messages = false;
  const seen = new Set<string>();
  const stack = from === null ? [] : [from];
  while (stack.length > 0) {
    const id = stack.pop()!;
    const s = byId.get(id);
    if (!s || seen.has(id)) continue;
    seen.add(id);
    const asks = stepModule(s)?.needs;
    for (const c of asks?.metrics?.(s) ?? []) {
      metrics.add(c.metric);
      if (c.since !== 'entry') lookbackMs = Math.max(lookbackMs, durationMs(c.since));
    }
    if (asks?.channel) messages = true;
    if (!asks?.stops) stack.push(...successors(s));
  }
  if (messages) {
    // Splits already passed are asked again before a message (their module's `recheck`).
    for (const s of def.steps) {
      const c = stepModule(s)?.needs.recheck?.(s);
      if (!c) continue;
      metrics.add(c.metric);
      if (c.since !== 'entry') lookbackMs = Math.max(lookbackMs, durationMs(c.since));
    }
  }
  const needs = { metrics: [...metrics], lookbackMs, messages };
  byStep.set(from, needs);
  return needs;
}

export async function runFlowTick(deps: TickDeps, opts: { now?: Date; batch?: number; leaseMs?: number } = {}): Promise<TickResult> {
  const now = opts.now ?? new Date();
  const token = randomUUID();
  const runs = await claimDueRuns(deps.pool, now, opts.batch ?? 500, opts.leaseMs ?? 120_000, token);
  if (runs.length === 0) return { claimed: 0, steps: 0, messages: 0 };

  const defs = new Map<string, FlowDefinition>();
  for (const run of runs) defs.set(run.id, await definitionOf(deps.pool, run));
  const profileRefs = [...new Map(runs.map((r) => [r.profileId, { storeId: r.storeId, id: r.profileId }])).values()];
  const flowRefs = [...new Map(runs.map((r) => [r.flowId, { storeId: r.storeId, id: r.flowId }])).values()];
  const needs = runs.map((r) => runNeeds(defs.get(r.id)!, r.currentStep));
  const refsOf = (want: (n: Needs, r: FlowRun) => boolean) =>
    [...new Map(runs.filter((r, i) => want(needs[i]!, r)).map((r) => [r.profileId, { storeId: r.storeId, id: r.profileId }])).values()];
  const metrics = [...new Set(needs.flatMap((n) => n.metrics))];
  const earliest = Math.min(now.getTime(), ...runs.flatMap((r, i) => (needs[i]!.metrics.length > 0 ? [Math.min(entryTime(r).getTime(), now.getTime() - needs[i]!.lookbackMs)] : [])));
  const [profiles, lastSent, times, heads, stock, forecasts, calls, members] = await Promise.all([
    loadProfiles(deps.pool, profileRefs),
    // Read only for smart sending, so only where a message with it switched on can be reached.
    lastMessaged(deps.pool, refsOf((n, r) => n.messages && defs.get(r.id)!.smartSending.enabled)),
    metricTimes(deps.pool, refsOf((n) => n.metrics.length > 0), metrics, new Date(earliest)),
    flowHeads(deps.pool, flowRefs),
    // The item a low-inventory or price-drop run is about: its stock and price are judged again.
    itemStates(deps.pool, runs.flatMap((r) => {
      const item = r.context.item ?? r.context.priceDrop;
      return item ? [{ storeId: r.storeId, level: item.level, id: item.variantId ?? item.productId }] : [];
    })),
    itemForecasts(
      deps.pool,
      runs.flatMap((r) => (r.context.item?.forecast ? [{ storeId: r.storeId, productId: r.context.item.productId, variantId: r.context.item.variantId, velocityDays: r.context.item.forecast.velocityDays }] : [])),
      now,
    ),
    // Runs parked on a webhook step: has their call ended?
    finishedCalls(deps.pool, runs.filter((r) => defs.get(r.id)!.steps.some((s) => s.id === r.currentStep && s.type === 'webhook')).map((r) => ({ storeId: r.storeId, runId: r.id }))),
    // Segment-triggered runs: is the shopper still a member?
    memberships(deps.pool, runs.flatMap((r) => (r.context.segmentId ? [{ storeId: r.storeId, segmentId: r.context.segmentId, profileId: r.profileId }] : []))),
  ]);

  const updates: RunUpdate[] = [];
  const logs: StepLog[] = [];
  const effects: Array<{ run: FlowRun; effect: Effect }> = [];
  let steps = 0;
  for (const run of runs) {
    const def = defs.get(run.id)!;
    const profile = profiles.get(run.profileId);
    const head = heads.get(run.flowId);
    let decided: Advance;
    if (!profile || !head) {
      // The profile was erased (privacy request) or the flow deleted: the run ends here.
      decided = { ...advanceEnd(run), endReason: profile ? 'flow removed' : 'profile removed' };
    } else {
      const last = lastSent.get(run.profileId) ?? { email: null, sms: null };
      const facts = {
        now,
        flowStatus: head.status,
        storeActive: head.storeActive,
        profile: structuredClone(profile),
        lastMessaged: { ...last },
        metricCount: (metric: string, since: Date) => (times.get(run.profileId)?.get(metric) ?? []).filter((t) => t >= since.getTime()).length,
        itemQuantity: run.context.item ? (stock.get(run.context.item.variantId ?? run.context.item.productId)?.quantity ?? null) : undefined,
        itemPrice: run.context.priceDrop ? (stock.get(run.context.priceDrop.variantId ?? run.context.priceDrop.productId)?.price ?? null) : undefined,
        itemForecastHours: run.context.item?.forecast ? (forecasts.get(run.context.item.variantId ?? run.context.item.productId)?.hours ?? null) : undefined,
        webhookOutcome: (key: string) => calls.get(key),
        inSegment: run.context.segmentId ? members.has(`${run.context.segmentId}:${run.profileId}`) : undefined,
      };
      decided = advance(run, def, facts);
    }
    steps += decided.logs.length;
    updates.push({
      storeId: run.storeId,
      id: run.id,
      status: decided.status,
      currentStep: decided.currentStep,
      nextAt: decided.nextAt,
      stepCount: decided.stepCount,
      context: decided.context,
      waitMetric: decided.waitMetric,
      endReason: decided.endReason,
      endedAt: decided.status === 'completed' || decided.status === 'exited' ? now : null,
    });
    for (const l of decided.logs) logs.push({ storeId: run.storeId, runId: run.id, flowId: run.flowId, seq: l.seq, stepId: l.stepId, outcome: l.outcome, at: now });
    for (const effect of decided.effects) effects.push({ run, effect });
  }

  // Rendering is async (Liquid) and reads products: done before the transaction opens.
  const rendered = await Promise.all(
    effects.map(async ({ run, effect }) =>
      effect.kind === 'message'
        ? renderMessage(deps, { run, effect, profile: profiles.get(run.profileId)!, head: heads.get(run.flowId)!, now })
        : null,
    ),
  );

  let messages = 0;
  await withTransaction(deps.pool, async (tx) => {
    const propertyUpdates = new Map<string, { storeId: StoreId; profileId: ProfileId; set: Record<string, unknown> }>();
    // Messages and skips in decision order, written in one statement below.
    const outbox: Decision[] = [];
    const outbound: NewOutboundCall[] = [];
    for (const [i, { run, effect }] of effects.entries()) {
      const base = { storeId: run.storeId, flowId: run.flowId as FlowId as string, flowVersion: run.version, runId: run.id as string, profileId: run.profileId };
      if (effect.kind === 'message') {
        const r = rendered[i]!;
        outbox.push({ send: { ...base, stepId: effect.stepId, channel: effect.channel, to: r.to, subject: r.subject, html: r.html, text: r.text, dedupeKey: effect.dedupeKey, status: effect.status, abBranch: effect.abBranch, exitIf: effect.exitIf } });
      } else if (effect.kind === 'skip') {
        const to = effect.channel === 'email' ? (profiles.get(run.profileId)?.email ?? '') : (profiles.get(run.profileId)?.phone ?? '');
        outbox.push({ skip: { ...base, stepId: effect.stepId, channel: effect.channel, to, subject: null, html: null, text: null, dedupeKey: effect.dedupeKey, reason: effect.reason } });
      } else if (effect.kind === 'update-profile') {
        const entry = propertyUpdates.get(run.profileId) ?? { storeId: run.storeId, profileId: run.profileId, set: {} };
        Object.assign(entry.set, effect.set);
        propertyUpdates.set(run.profileId, entry);
      } else if (effect.kind === 'webhook') {
        outbound.push(webhookCall(run, effect, profiles.get(run.profileId)!));
      }
    }
    messages = await enqueueDecisions(tx, outbox);
    await mergeProfileProperties(tx, [...propertyUpdates.values()]);
    await insertStepLogs(tx, logs);
    await insertOutboundCalls(tx, outbound, now);
    const saved = await saveRuns(tx, token, updates);
    if (saved !== updates.length) {
      // Another worker took some of these runs over (our lease lapsed): undo, it replays them.
      throw new LeaseLostError(`${updates.length - saved} runs were taken over`);
    }
    // A call that ended while this tick was deciding found its run still leased: wake it now.
    await wakeRunsWithFinishedCalls(tx, outbound.map((c) => ({ storeId: c.storeId, key: c.idempotencyKey })), now);
  }).catch((err: unknown) => {
    if (err instanceof LeaseLostError) {
      deps.logger.warn({ err }, 'flow tick lost its lease; the batch is left to the worker that holds it');
      messages = 0;
      return;
    }
    throw err;
  });
  return { claimed: runs.length, steps, messages };
}

class LeaseLostError extends Error {}

function advanceEnd(run: FlowRun): Advance {
  return {
    status: 'exited',
    currentStep: null,
    nextAt: null,
    stepCount: run.stepCount,
    context: run.context,
    waitMetric: null,
    endReason: null,
    effects: [],
    logs: [],
  };
}

/** What a webhook step sends: the run, the step, the profile and the trigger event. */
function webhookCall(run: FlowRun, effect: Extract<Effect, { kind: 'webhook' }>, profile: FactProfile): NewOutboundCall {
  return {
    storeId: run.storeId,
    idempotencyKey: effect.key,
    runId: run.id,
    flowId: run.flowId,
    stepId: effect.stepId,
    profileId: run.profileId,
    url: effect.url,
    host: hostOf(effect.url),
    body: {
      storeId: run.storeId,
      flowId: run.flowId,
      runId: run.id,
      stepId: effect.stepId,
      profile: { id: profile.id, email: profile.email, phone: profile.phone, properties: profile.properties },
      event: run.triggerEvent,
    },
  };
}

function hostOf(url: string): string {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    // Saved definitions were checked; a bad URL still gets a row, and the call refuses it.
    return '';
  }
}
