// The builder graph as the view draws it: rows of add points, steps and splits with their lanes,
// each with a page-unique number for its form ids. An add point reached twice (a lane's end that
// is also the spot below its split) is drawn once, where it comes first.
import type { FlowDefinition } from '../../flows/definition.ts';
import { STEP_TYPES } from '../../merchant/flow-graph.ts';
import { moduleOfType } from '../../flows/steps/registry.ts';
import { layoutFlow, type AddPoint, type Lane, type LaneItem } from '../../merchant/flow-layout.ts';

const typeTitle = (t: string): string => moduleOfType(t)?.title ?? t;

type Option = { value: string; label: string };
type AddRow = { kind: 'add'; uid: number; key: string; label: string };
type StepRow = {
  kind: 'step';
  uid: number;
  id: string;
  type: string;
  typeLabel: string;
  summary: string;
  movable: boolean;
  up: string | null;
  down: string | null;
  targets: Option[];
};
type SplitRow = Omit<StepRow, 'kind'> & { kind: 'split'; lanes: LaneView[]; joins: boolean };
type Row = AddRow | StepRow | SplitRow;
export type LaneView = { name: string; label: string; depth: number; rows: Row[]; end: { text: string; to: string | null } | null };
export type GraphView = { main: LaneView; unreached: LaneView[]; types: Option[]; steps: number };

export function graphView(def: FlowDefinition): GraphView {
  const layout = layoutFlow(def);
  let uid = 0;
  const drawn = new Set<string>();
  const add = (p: AddPoint | null): AddRow[] => {
    if (!p || drawn.has(p.key)) return [];
    drawn.add(p.key);
    return [{ kind: 'add', uid: ++uid, key: p.key, label: p.label }];
  };
  const itemRow = (item: LaneItem): StepRow | SplitRow => {
    const base = { uid: ++uid, id: item.step.id, type: item.step.type, typeLabel: typeTitle(item.step.type), summary: item.summary };
    if (item.kind === 'split') return { ...base, kind: 'split', movable: false, up: null, down: null, targets: [], lanes: item.lanes.map(lane), joins: Boolean(item.join) };
    return {
      ...base,
      kind: 'step',
      movable: item.movable,
      up: item.up?.key ?? null,
      down: item.down?.key ?? null,
      targets: item.moveTargets.map((p) => ({ value: p.key, label: p.label })),
    };
  };
  const endOf = (l: Lane): LaneView['end'] => {
    switch (l.end.kind) {
      case 'end': return { text: 'End of the flow', to: null };
      case 'join': return l.depth > 0 ? { text: `Joins the other lanes at step ${l.end.to}`, to: null } : null;
      case 'goto': return { text: `Continues at step ${l.end.to}`, to: l.end.to };
      default: return null;
    }
  };
  const lane = (l: Lane): LaneView => {
    const rows: Row[] = [];
    for (const item of l.items) rows.push(...add(item.before), itemRow(item));
    rows.push(...add(l.tail));
    return { name: l.name, label: l.label, depth: l.depth, rows, end: endOf(l) };
  };
  const main = lane(layout.main);
  const unreached = layout.unreached.map(lane);
  const types = STEP_TYPES.filter((t) => t !== 'trigger-split' || def.trigger.type === 'metric').map((t) => ({ value: t, label: typeTitle(t) }));
  return { main, unreached, types, steps: def.steps.length };
}
