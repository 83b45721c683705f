// The builder's picture of a definition: the steps as lanes. A lane is the steps a run meets one
// after another; a branching step (split, trigger split, wait for an event, A/B) holds one lane per
// way out, side by side, and the lanes re-join at the step every way out must pass (the split's
// immediate post-dominator) or end on their own. Steps that fit no lane (a loop back, a jump into
// another lane) end their lane with "continues at <step>". Every place a step can be added is an
// add point: the set of edges that lead into that spot, so inserting there re-points them all.
import type { FlowDefinition, Step } from '../flows/definition.ts';
import { stepModule } from '../flows/steps/registry.ts';
// The one place the builder's picture takes its step summaries from.
import { summarize as summarizeStep } from './flow-graph.ts';

/** `start`, or `<step id>:<slot>` with the slot keys the step editor uses (next, yes, no, onEvent, onTimeout, branch.N). */
export type EdgeKey = string;

export type AddPoint = { key: string; edges: EdgeKey[]; label: string };
export type Slot = { key: string; label: string; to: string | undefined };

export type LaneEnd =
  | { kind: 'end' }
  | { kind: 'exit' }
  | { kind: 'branches' }
  | { kind: 'join'; to: string }
  | { kind: 'goto'; to: string };

export type StepItem = {
  kind: 'step';
  step: Step;
  summary: string;
  before: AddPoint | null;
  /** Only steps with one way on move; a branching step's lanes stay with it. */
  movable: boolean;
  up: AddPoint | null;
  down: AddPoint | null;
  moveTargets: AddPoint[];
};
export type SplitItem = { kind: 'split'; step: Step; summary: string; before: AddPoint | null; lanes: Lane[]; join: string | null };
export type LaneItem = StepItem | SplitItem;

export type Lane = { key: string; name: string; label: string; path: string; depth: number; items: LaneItem[]; end: LaneEnd; tail: AddPoint | null };

export type FlowLayout = { main: Lane; unreached: Lane[]; points: AddPoint[] };

const END = '\u0000end';

/** The ways out of a step, in the order the lanes show them (the step module's edges). */
export function slotsOf(step: Step): Slot[] {
  return (stepModule(step)?.edges(step) ?? []).map((e) => ({ key: e.key, label: e.lane ?? e.label, to: e.get(step) }));
}

export const isBranching = (step: Step): boolean => slotsOf(step).length > 1 || step.type === 'ab';

/** For each step, the step every way out of it must pass next; null when the ways never meet again. */
export function joinsOf(def: FlowDefinition): Map<string, string | null> {
  const ids = def.steps.map((s) => s.id);
  const all = [...ids, END];
  const succ = new Map(def.steps.map((s) => {
    const outs = slotsOf(s).map((slot) => (slot.to && ids.includes(slot.to) ? slot.to : END));
    return [s.id, outs.length ? outs : [END]];
  }));
  // Post-dominator sets by iteration to a fixed point; a step that cannot reach the end keeps "all".
  const pdom = new Map<string, Set<string>>(all.map((id) => [id, new Set(id === END ? [END] : all)]));
  for (let changed = true; changed;) {
    changed = false;
    for (const id of ids) {
      const outs = succ.get(id)!;
      let meet = new Set(pdom.get(outs[0]!)!);
      for (const o of outs.slice(1)) meet = new Set([...meet].filter((x) => pdom.get(o)!.has(x)));
      meet.add(id);
      if (meet.size !== pdom.get(id)!.size) {
        pdom.set(id, meet);
        changed = true;
      }
    }
  }
  // Steps with a way to the end; a step caught in a loop with none has no meeting point.
  const reaches = new Set<string>([END]);
  for (let grew = true; grew;) {
    grew = false;
    for (const id of ids) if (!reaches.has(id) && succ.get(id)!.some((o) => reaches.has(o))) { reaches.add(id); grew = true; }
  }
  const joins = new Map<string, string | null>();
  for (const id of ids) {
    const set = pdom.get(id)!;
    if (!reaches.has(id)) {
      joins.set(id, null);
      continue;
    }
    // The strict post-dominators form a chain; the nearest is the one with the largest set.
    let best: string | null = null;
    for (const d of set) if (d !== id && (best === null || pdom.get(d)!.size > pdom.get(best)!.size)) best = d;
    joins.set(id, best === END ? null : best);
  }
  return joins;
}

const keyOf = (edges: EdgeKey[]) => [...edges].sort().join(',');

export function layoutFlow(def: FlowDefinition): FlowLayout {
  const byId = new Map(def.steps.map((s) => [s.id, s]));
  const joins = joinsOf(def);
  const placed = new Set<string>();
  const points = new Map<string, AddPoint>();
  const point = (edges: EdgeKey[], label: string): AddPoint | null => {
    if (!edges.length) return null;
    const key = keyOf(edges);
    if (!points.has(key)) points.set(key, { key, edges: [...edges], label });
    return points.get(key)!;
  };
  const exitsOf = (item: LaneItem): EdgeKey[] => {
    if (item.kind === 'split') return item.join ? item.lanes.filter((l) => l.end.kind === 'join').flatMap((l) => l.tail?.edges ?? []) : [];
    return item.step.type === 'exit' ? [] : [`${item.step.id}:next`];
  };

  const build = (first: string | undefined, entry: EdgeKey[], stops: string[], key: string, name: string, label: string, path: string, depth: number): Lane => {
    const items: LaneItem[] = [];
    let end: LaneEnd = { kind: 'end' };
    let cur = first;
    for (;;) {
      if (cur === undefined || !byId.has(cur)) break;
      if (cur === stops.at(-1)) { end = { kind: 'join', to: cur }; break; }
      if (placed.has(cur) || stops.includes(cur)) { end = { kind: 'goto', to: cur }; break; }
      const step = byId.get(cur)!;
      placed.add(cur);
      const last = items.at(-1);
      const where = last ? `after step ${last.step.id}` : path === 'main' ? 'at the start' : 'at the top';
      const before = point(last ? exitsOf(last) : entry, `${label}: ${where}, before step ${step.id}`);
      if (step.type === 'exit') {
        items.push({ kind: 'step', step, summary: summarizeStep(step), before, movable: false, up: null, down: null, moveTargets: [] });
        end = { kind: 'exit' };
        break;
      }
      if (isBranching(step)) {
        const join = joins.get(step.id) ?? null;
        const lanes = slotsOf(step).map((slot, i) =>
          build(slot.to, [`${step.id}:${slot.key}`], join ? [...stops, join] : stops, `${key}.${step.id}.${i}`, slot.label, `${slot.label} lane of step ${step.id}`, `${path}/${step.id}:${slot.key}`, depth + 1),
        );
        items.push({ kind: 'split', step, summary: summarizeStep(step), before, lanes, join });
        if (!join) { end = { kind: 'branches' }; break; }
        cur = join;
        continue;
      }
      items.push({ kind: 'step', step, summary: summarizeStep(step), before, movable: true, up: null, down: null, moveTargets: [] });
      cur = (step as { next?: string }).next;
    }
    const last = items.at(-1);
    const tailEdges = last ? exitsOf(last) : entry;
    const tail = end.kind === 'exit' || end.kind === 'branches' ? null : point(tailEdges, `${label}: at the end${last ? `, after step ${last.step.id}` : ''}`);
    return { key, name, label, path, depth, items, end, tail };
  };

  const main = build(def.start, ['start'], [], 'main', 'Main path', 'Main path', 'main', 0);
  const unreached: Lane[] = [];
  for (const s of def.steps) {
    if (!placed.has(s.id)) unreached.push(build(s.id, [], [], `unreached.${s.id}`, 'Not reached', `Not reached from the trigger (step ${s.id})`, `unreached/${s.id}`, 0));
  }
  const layout = { main, unreached, points: [...points.values()] };
  planMoves(layout);
  return layout;
}

/** Up, down and "move to" targets for each movable step, as add points of the same layout. */
function planMoves(layout: FlowLayout): void {
  const afterItem = (lane: Lane, i: number): AddPoint | null => lane.items[i + 1]?.before ?? lane.tail;
  const visit = (lane: Lane, parent: { lane: Lane; index: number } | null) => {
    lane.items.forEach((item, i) => {
      if (item.kind === 'split') {
        for (const l of item.lanes) visit(l, { lane, index: i });
        return;
      }
      if (!item.movable) return;
      const self = item.step.id;
      const own = [`${self}:next`];
      // Up: above the item before it (a whole split block counts as one); at a lane's top, out above its split.
      if (i > 0) item.up = lane.items[i - 1]!.before;
      else if (parent) item.up = parent.lane.items[parent.index]!.before;
      // Down: below the next item (past a split block only where its lanes meet again);
      // at the bottom of a lane that re-joins, out below the split.
      const next = lane.items[i + 1];
      if (next) item.down = next.kind === 'split' && !next.join ? null : afterItem(lane, i + 1);
      else if (lane.end.kind === 'join' && parent) item.down = afterItem(parent.lane, parent.index);
      const noop = new Set([item.before?.key, keyOf(own)]);
      if (item.up && noop.has(item.up.key)) item.up = null;
      if (item.down && noop.has(item.down.key)) item.down = null;
      item.moveTargets = layout.points.filter((p) => !noop.has(p.key));
    });
  };
  visit(layout.main, null);
  for (const l of layout.unreached) visit(l, null);
}

/** Where a step sits: its item and the add point just before it. */
export function findItem(layout: FlowLayout, stepId: string): LaneItem | undefined {
  const inLane = (lane: Lane): LaneItem | undefined => {
    for (const item of lane.items) {
      if (item.step.id === stepId) return item;
      if (item.kind === 'split') for (const l of item.lanes) {
        const found = inLane(l);
        if (found) return found;
      }
    }
    return undefined;
  };
  return inLane(layout.main) ?? layout.unreached.map(inLane).find(Boolean);
}

/** Every step id placed in a split's lanes (not the split itself, not its join onwards). */
export function stepsInLanes(item: SplitItem): string[] {
  const ids: string[] = [];
  const walk = (lane: Lane) => {
    for (const it of lane.items) {
      ids.push(it.step.id);
      if (it.kind === 'split') it.lanes.forEach(walk);
    }
  };
  item.lanes.forEach(walk);
  return ids;
}
