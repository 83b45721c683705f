// Flow use cases behind the API and the merchant app: create (from a definition or a preset),
// publish a new version, change status, read. Every definition is validated as data and as a graph.
import type pg from 'pg';
import { z } from 'zod';
import type { FlowId } from '../model/ids.ts';
import type { Flow, FlowStatus } from '../model/flow.ts';
import type { Store } from '../model/store.ts';
import { withTransaction } from '../db/pool.ts';
import { findFlow, findFlowVersion, insertFlow, insertFlowVersion, listFlows, setFlowStatus } from '../db/repositories/flows.ts';
import { pauseFlowRuns, resumeFlowRuns } from '../db/repositories/flow-runs.ts';
import { releaseHeldForFlow } from '../db/repositories/messages.ts';
import { findSegment } from '../db/repositories/segments.ts';
import { checkTemplate } from '../messaging/templates.ts';
import { FlowDefinition, type Trigger } from './definition.ts';
import { validateFlow, type FlowIssue } from './validate-flow.ts';
import type { OutboundRules } from '../security/outbound-url.ts';
import { PRESETS, PRESET_NAMES, type PresetName } from './presets.ts';

export type LowInventoryRule = { level: 'product' | 'variant'; metrics: readonly string[] };

/** What the store's platform allows a low-inventory trigger to use (the connector's capability rows). */
export type TriggerPolicy = {
  lowInventory: readonly LowInventoryRule[];
  blocked?: string;
  /** What webhook step URLs may reach (the operator's OUTBOUND_* settings); strictest when unset. */
  outbound?: OutboundRules;
};

export type FlowResult = { ok: true; flow: Flow; definition: FlowDefinition; warnings: FlowIssue[] } | { ok: false; errors: FlowIssue[] };

const PresetRequest = z.object({ preset: z.enum(PRESET_NAMES as [PresetName, ...PresetName[]]) }).passthrough();

/** A body is a full definition, or `{preset, ...overrides}` merged over the preset. */
export function resolveDefinitionInput(body: unknown): unknown {
  const preset = PresetRequest.safeParse(body);
  if (!preset.success) return body;
  const { preset: name, ...overrides } = preset.data;
  const base = structuredClone(PRESETS[name]) as Record<string, unknown>;
  const trigger = overrides.trigger && typeof overrides.trigger === 'object' ? { ...(base.trigger as object), ...(overrides.trigger as object) } : base.trigger;
  return { ...base, ...overrides, trigger };
}

function zodIssues(err: z.ZodError): FlowIssue[] {
  return err.issues.map((i) => {
    const path = i.path.map(String).join('.');
    const m = /^steps\.(\d+)/.exec(path);
    return { stepId: m ? `#${m[1]}` : null, path: path || '(definition)', message: i.message };
  });
}

/** Orders are what a price drop leaves out, never what it starts from. */
const ORDER_METRICS = ['Placed Order', 'Ordered Product'];

function checkPriceDrop(trigger: Extract<Trigger, { type: 'price-drop' }>): FlowIssue[] {
  const issues: FlowIssue[] = [];
  if (trigger.minPercent === undefined && trigger.minAmount === undefined) {
    issues.push({ stepId: null, path: 'trigger.minPercent', message: 'a price drop needs minPercent, minAmount or both' });
  }
  for (const metric of trigger.metrics.filter((m) => ORDER_METRICS.includes(m))) {
    issues.push({ stepId: null, path: 'trigger.metrics', message: `${metric} cannot trigger a price-drop flow: buyers are left out, not reached` });
  }
  return issues;
}

function checkTrigger(trigger: Trigger, policy: TriggerPolicy): FlowIssue[] {
  if (trigger.type === 'price-drop') return checkPriceDrop(trigger);
  // Back in stock reads the same stock data as low inventory: where that is blocked, so is it.
  if (trigger.type === 'back-in-stock') return policy.blocked ? [{ stepId: null, path: 'trigger', message: `back in stock uses the same stock data: ${policy.blocked}` }] : [];
  // A sell-out forecast reaches the same audience as low inventory, so the same table governs it.
  if (trigger.type !== 'low-inventory' && trigger.type !== 'sell-out-forecast') return [];
  if (policy.blocked) return [{ stepId: null, path: 'trigger', message: policy.blocked }];
  const issues: FlowIssue[] = [];
  const rows = policy.lowInventory.filter((r) => r.level === trigger.level);
  if (rows.length === 0) return [{ stepId: null, path: 'trigger.level', message: `this store's platform does not track low inventory at ${trigger.level} level` }];
  for (const metric of trigger.metrics) {
    if (!rows.some((r) => r.metrics.includes(metric))) {
      issues.push({ stepId: null, path: 'trigger.metrics', message: `${metric} cannot trigger a ${trigger.level}-level ${trigger.type} flow on this platform` });
    }
  }
  return issues;
}

export function parseDefinition(body: unknown, policy: TriggerPolicy): { ok: true; definition: FlowDefinition; warnings: FlowIssue[] } | { ok: false; errors: FlowIssue[] } {
  const parsed = FlowDefinition.safeParse(resolveDefinitionInput(body));
  if (!parsed.success) return { ok: false, errors: zodIssues(parsed.error) };
  const check = validateFlow(parsed.data, checkTemplate, policy.outbound);
  const errors = [...check.errors, ...checkTrigger(parsed.data.trigger, policy)];
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, definition: parsed.data, warnings: check.warnings };
}

function header(def: FlowDefinition) {
  const t = def.trigger;
  const triggerKey = t.type === 'metric' ? t.metric : t.type === 'list' ? t.list : t.type === 'segment' ? t.segmentId : null;
  return { name: def.name, tags: def.tags, status: def.status, triggerType: t.type, triggerKey };
}

/** A segment trigger must name one of the store's own segments. */
async function checkReferences(pool: pg.Pool, store: Store, def: FlowDefinition): Promise<FlowIssue[]> {
  if (def.trigger.type !== 'segment') return [];
  return (await findSegment(pool, store.id, def.trigger.segmentId)) ? [] : [{ stepId: null, path: 'trigger.segmentId', message: 'no such segment in this store' }];
}

export async function createFlow(pool: pg.Pool, store: Store, body: unknown, policy: TriggerPolicy): Promise<FlowResult> {
  const r = parseDefinition(body, policy);
  if (!r.ok) return r;
  const refErrors = await checkReferences(pool, store, r.definition);
  if (refErrors.length) return { ok: false, errors: refErrors };
  const flow = await insertFlow(pool, store.id, header(r.definition), r.definition);
  return { ok: true, flow, definition: r.definition, warnings: r.warnings };
}

/** Publishes a new version: new entries use it, runs in flight finish on theirs. */
export async function updateFlow(pool: pg.Pool, store: Store, flowId: FlowId, body: unknown, policy: TriggerPolicy, now = new Date()): Promise<FlowResult | undefined> {
  const r = parseDefinition(body, policy);
  if (!r.ok) return r;
  const refErrors = await checkReferences(pool, store, r.definition);
  if (refErrors.length) return { ok: false, errors: refErrors };
  const result = await withTransaction(pool, async (tx) => {
    const before = await findFlow(tx, store.id, flowId);
    if (!before) return undefined;
    const flow = await insertFlowVersion(tx, store.id, flowId, header(r.definition), r.definition);
    await applyStatusChange(tx, store, flowId, before.status, r.definition.status, now);
    return flow;
  });
  return result && { ok: true, flow: result, definition: r.definition, warnings: r.warnings };
}

export type StatusChange = { flow: Flow; previous: FlowStatus; pausedRuns: number; resumedRuns: number; releasedMessages: number };

async function applyStatusChange(db: pg.PoolClient, store: Store, flowId: FlowId, from: FlowStatus, to: FlowStatus, now: Date) {
  let pausedRuns = 0;
  let resumedRuns = 0;
  let releasedMessages = 0;
  // Draft stops entries and parks runs where they stand; leaving draft picks them up again.
  if (to === 'draft' && from !== 'draft') pausedRuns = await pauseFlowRuns(db, store.id, flowId);
  if (from === 'draft' && to !== 'draft') resumedRuns = await resumeFlowRuns(db, store.id, flowId, now);
  // Turning a reviewed flow live sends what was waiting for review rather than stranding it,
  // also when it passed through draft on the way (held messages are only ever review holds).
  if (to === 'live' && from !== 'live') releasedMessages = await releaseHeldForFlow(db, store.id, flowId, 'flow turned live');
  return { pausedRuns, resumedRuns, releasedMessages };
}

export async function changeFlowStatus(pool: pg.Pool, store: Store, flowId: FlowId, status: FlowStatus, now = new Date()): Promise<StatusChange | undefined> {
  return withTransaction(pool, async (tx) => {
    const changed = await setFlowStatus(tx, store.id, flowId, status);
    if (!changed) return undefined;
    const effects = await applyStatusChange(tx, store, flowId, changed.previous, status, now);
    return { flow: changed.flow, previous: changed.previous, ...effects };
  });
}

export async function getFlow(pool: pg.Pool, store: Store, flowId: FlowId): Promise<{ flow: Flow; definition: FlowDefinition; warnings: FlowIssue[] } | undefined> {
  const flow = await findFlow(pool, store.id, flowId);
  if (!flow) return undefined;
  const definition = FlowDefinition.parse(await findFlowVersion(pool, store.id, flowId, flow.version));
  return { flow, definition, warnings: validateFlow(definition, checkTemplate).warnings };
}

export async function listStoreFlows(pool: pg.Pool, store: Store): Promise<Flow[]> {
  return listFlows(pool, store.id);
}
