// The builder's in-place edits on the lanes picture (flow-layout.ts): add a step at an add point,
// move a step to another add point, remove a step or a whole split with its lanes. Pure
// functions from a definition to the next one; the flow service validates and saves it, so a
// live flow's edit becomes a new version like any other.
import type { FlowDefinition, Step } from '../flows/definition.ts';
import { insertStep, removeStep, type StepType } from './flow-graph.ts';
import { stepModule } from '../flows/steps/registry.ts';
import { findItem, layoutFlow, slotsOf, stepsInLanes, type EdgeKey, type FlowLayout } from './flow-layout.ts';

export type EditResult = { ok: true; definition: FlowDefinition; stepId: string } | { ok: false; message: string };

const STALE = 'The flow changed since this page was loaded; reload it and try again.';

/** The edge of a step a key names (`<step id>:<edge key>`), as the step's module declares it. */
function edgeOf(def: FlowDefinition, edge: EdgeKey) {
  const [id, key] = edge.split(':') as [string, string];
  const step = def.steps.find((x) => x.id === id);
  const found = step && stepModule(step)?.edges(step).find((e) => e.key === key);
  return step && found ? { step, edge: found } : undefined;
}

function targetOf(def: FlowDefinition, edge: EdgeKey): string | undefined {
  if (edge === 'start') return def.start;
  const at = edgeOf(def, edge);
  return at?.edge.get(at.step);
}

function pointEdge(def: FlowDefinition, edge: EdgeKey, to: string | undefined): FlowDefinition {
  if (edge === 'start') return to ? { ...def, start: to } : def;
  const at = edgeOf(def, edge);
  if (!at) return def;
  return { ...def, steps: def.steps.map((s): Step => (s === at.step ? at.edge.set(at.step, to) : s)) };
}

const pointOf = (layout: FlowLayout, key: string) => layout.points.find((p) => p.key === key);

/** A new step of the type at the add point; every edge into that spot now leads to it. */
export function addAt(def: FlowDefinition, at: string, type: StepType): EditResult {
  const point = pointOf(layoutFlow(def), at);
  if (!point) return { ok: false, message: STALE };
  const [first, ...rest] = point.edges as [EdgeKey, ...EdgeKey[]];
  const inserted = insertStep(def, first === 'start' ? 'start' : first, type);
  if (!inserted) return { ok: false, message: STALE };
  const definition = rest.reduce((d, e) => pointEdge(d, e, inserted.stepId), inserted.definition);
  return { ok: true, definition, stepId: inserted.stepId };
}

/**
 * Takes a step with one way on out of its place (what led into it goes where it went) and puts
 * it at the add point. Jumps from elsewhere that name the step keep naming it.
 */
export function moveTo(def: FlowDefinition, stepId: string, to: string): EditResult {
  const layout = layoutFlow(def);
  const item = findItem(layout, stepId);
  if (!item) return { ok: false, message: STALE };
  if (item.kind !== 'step' || !item.movable) return { ok: false, message: `Step ${stepId} has more than one way on, so it stays where it is; move the steps around it instead.` };
  const target = item.moveTargets.find((p) => p.key === to);
  if (!target) return { ok: false, message: pointOf(layout, to) ? `Step ${stepId} is already there.` : STALE };
  const own = `${stepId}:next`;
  const before = item.before?.edges ?? [];
  const onward = targetOf(def, own);
  if (before.includes('start') && !onward) return { ok: false, message: `Step ${stepId} is the whole main path; add a step before moving it.` };
  // Its own way on is where the step's place was: after lifting it out, that spot is `before`.
  const edges = target.edges.flatMap((e) => (e === own ? before : [e]));
  let lifted = before.reduce((d, e) => pointEdge(d, e, onward), def);
  const dest = new Set(edges.map((e) => targetOf(lifted, e)));
  const landing = [...dest][0];
  if (dest.size !== 1 || landing === stepId || edges.length === 0) return { ok: false, message: `Step ${stepId} cannot go there: the ways into that place lead to different steps.` };
  lifted = edges.reduce((d, e) => pointEdge(d, e, stepId), lifted);
  lifted = pointEdge(lifted, own, landing);
  return { ok: true, definition: lifted, stepId };
}

/**
 * Removes a step. A split goes with its lanes: what led into it continues where the lanes met
 * again, or ends the run when they never do. Other steps: as the step editor removes them.
 */
export function removeAt(def: FlowDefinition, stepId: string): EditResult {
  const layout = layoutFlow(def);
  const item = findItem(layout, stepId);
  if (!item) return { ok: false, message: STALE };
  let next: FlowDefinition | undefined;
  if (item.kind === 'split') {
    const gone = new Set([stepId, ...stepsInLanes(item)]);
    const onward = item.join ?? undefined;
    const steps = def.steps.filter((s) => !gone.has(s.id));
    if (!steps.length) return { ok: false, message: 'A flow needs at least one step; add another before removing this one.' };
    let d: FlowDefinition = { ...def, steps };
    for (const s of steps) {
      for (const { key } of slotsOf(s)) if (gone.has(targetOf(d, `${s.id}:${key}`) ?? '')) d = pointEdge(d, `${s.id}:${key}`, onward);
    }
    next = { ...d, start: gone.has(def.start) ? (onward ?? steps[0]!.id) : def.start };
  } else {
    if (def.steps.length === 1) return { ok: false, message: 'A flow needs at least one step; add another before removing this one.' };
    next = removeStep(def, stepId);
  }
  return next ? { ok: true, definition: next, stepId } : { ok: false, message: STALE };
}

