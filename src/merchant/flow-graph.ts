// The builder's view of a definition: steps in the order a run meets them, each with a one-line
// summary and its outgoing edges; and the edits (insert on an edge, replace, remove) that
// produce the next definition. Pure functions: the flow service validates and saves the result.
import type { FlowDefinition, Step, Trigger } from '../flows/definition.ts';
import { moduleOfType, stepModule, type StepType } from '../flows/steps/registry.ts';
import { describeCondition } from '../flows/steps/condition-words.ts';
import type { Edge as StepEdge } from '../flows/steps/step-module.ts';

export type Edge = { key: string; label: string; to: string | null };
export type GraphNode = { step: Step; index: number; summary: string; edges: Edge[] };

type Slot = StepEdge<Step>;

/** A step's outgoing edges, from its module (none for a type this version does not know). */
const slotsOf = (step: Step): Slot[] => stepModule(step)?.edges(step) ?? [];

const cond = describeCondition;

/** The step's one-line summary, from its module. */
export function summarize(step: Step): string {
  return stepModule(step)?.summary(step) ?? `Step of type ${step.type}`;
}

function priceFall(t: { minPercent?: number | undefined; minAmount?: number | undefined }): string {
  const parts = [t.minPercent ? `${t.minPercent}%` : '', t.minAmount ? `${t.minAmount}` : ''].filter(Boolean);
  return parts.length ? ` by at least ${parts.join(' and ')}` : '';
}

export function describeTrigger(t: Trigger): string {
  switch (t.type) {
    case 'metric': return `When someone does ${t.metric}${t.where.length ? ` where ${t.where.map(cond).join(' and ')}` : ''}`;
    case 'list': return `When someone joins the list ${t.list}`;
    case 'segment': return `When someone enters segment ${t.segmentId}`;
    case 'date': return `On ${t.property}${t.offsetDays ? ` ${t.offsetDays > 0 ? '+' : ''}${t.offsetDays} days` : ''} at ${t.at} in the shopper’s timezone`;
    case 'low-inventory': return `When a ${t.level} falls to ${t.threshold} or fewer in stock: shoppers with ${t.metrics.join(' or ')} in the last ${t.lookbackDays} days, minus buyers of the last ${t.excludePurchasedWithinDays} days`;
    case 'price-drop': return `When a ${t.level}'s price falls${priceFall(t)} below what shoppers with ${t.metrics.join(' or ')} in the last ${t.lookbackDays} days saw, minus buyers of the last ${t.excludePurchasedWithinDays} days`;
    case 'sell-out-forecast': return `When a ${t.level} is expected to sell out within ${t.withinHours} hours at the pace of the last ${t.velocityDays} days: shoppers with ${t.metrics.join(' or ')} in the last ${t.lookbackDays} days, minus buyers of the last ${t.excludePurchasedWithinDays} days`;
    case 'back-in-stock': return `When a variant someone asked for is back in stock (${t.minimum} or more, after fewer): ${t.perUnit} waiting shopper${t.perUnit === 1 ? '' : 's'} per unit, oldest request first, again every ${t.recountMinutes} minutes while stock lasts`;
  }
}

/** Steps in the order a run meets them from the start; unreachable ones last. */
export function graph(def: FlowDefinition): GraphNode[] {
  const byId = new Map(def.steps.map((s, i) => [s.id, { step: s, index: i }]));
  const seen = new Set<string>();
  const order: string[] = [];
  const queue = [def.start];
  while (queue.length) {
    const id = queue.shift()!;
    if (seen.has(id) || !byId.has(id)) continue;
    seen.add(id);
    order.push(id);
    for (const slot of slotsOf(byId.get(id)!.step)) {
      const to = slot.get(byId.get(id)!.step);
      if (to) queue.push(to);
    }
  }
  for (const s of def.steps) if (!seen.has(s.id)) order.push(s.id);
  return order.map((id) => {
    const { step, index } = byId.get(id)!;
    return { step, index, summary: summarize(step), edges: slotsOf(step).map((slot) => ({ key: `${step.id}:${slot.key}`, label: slot.label, to: slot.get(step) ?? null })) };
  });
}

/** Every place a new step can go: before the start, or on any edge. */
export function insertionPoints(def: FlowDefinition): Array<{ value: string; label: string }> {
  const points = [{ value: 'start', label: `at the start (before ${def.start})` }];
  for (const node of graph(def)) {
    for (const e of node.edges) points.push({ value: e.key, label: `after ${node.step.id}${e.label === 'then' ? '' : ` (${e.label})`}${e.to ? ` → ${e.to}` : ' → end'}` });
  }
  return points;
}

export { STEP_TYPES, type StepType } from '../flows/steps/registry.ts';

/** A new step of the type: its module's sample, continuing to `to`. */
function newStep(type: StepType, id: string, to: string | undefined): Step {
  return moduleOfType(type)!.sample(id, to);
}

function freshId(def: FlowDefinition, type: string): string {
  for (let n = 1; ; n++) if (!def.steps.some((s) => s.id === `${type}-${n}`)) return `${type}-${n}`;
}

/** Puts a new step of the type on the edge (or at the start); it continues where the edge went. */
export function insertStep(def: FlowDefinition, at: string, type: StepType): { definition: FlowDefinition; stepId: string } | undefined {
  const id = freshId(def, type);
  if (at === 'start') return { definition: { ...def, start: id, steps: [...def.steps, newStep(type, id, def.start)] }, stepId: id };
  const [fromId, slotKey] = at.split(':');
  const from = def.steps.find((s) => s.id === fromId);
  const slot = from && slotsOf(from).find((s) => s.key === slotKey);
  if (!from || !slot) return undefined;
  const step = newStep(type, id, slot.get(from));
  const steps = def.steps.map((s) => (s.id === from.id ? slot.set(s, id) : s));
  return { definition: { ...def, steps: [...steps, step] }, stepId: id };
}

/** Swaps in an edited step; a new id is followed by every edge and the start. */
export function replaceStep(def: FlowDefinition, id: string, step: unknown): unknown {
  const newId = (step as { id?: unknown }).id;
  const renamed = typeof newId === 'string' && newId !== id ? newId : null;
  const steps = def.steps.map((s) => {
    if (s.id === id) return step;
    if (!renamed) return s;
    return slotsOf(s).reduce<Step>((acc, slot) => (slot.get(acc) === id ? slot.set(acc, renamed) : acc), s);
  });
  return { ...def, start: renamed && def.start === id ? renamed : def.start, steps };
}

/** Removes a step; edges into it go where it went (when it had one way on), else end the run. */
export function removeStep(def: FlowDefinition, id: string): FlowDefinition | undefined {
  const target = def.steps.find((s) => s.id === id);
  if (!target) return undefined;
  const outs = [...new Set(slotsOf(target).map((slot) => slot.get(target)).filter((x): x is string => Boolean(x) && x !== id))];
  const continuation = outs.length === 1 ? outs[0] : undefined;
  const steps = def.steps
    .filter((s) => s.id !== id)
    .map((s) => slotsOf(s).reduce<Step>((acc, slot) => (slot.get(acc) === id ? slot.set(acc, continuation) : acc), s));
  return { ...def, start: def.start === id ? (continuation ?? steps[0]?.id ?? id) : def.start, steps };
}
