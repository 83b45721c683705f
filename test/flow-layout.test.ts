// The builder's lanes picture (src/merchant/flow-layout.ts) and its edits (flow-edits.ts) on
// definitions with nested splits, A/B arms, waits with a loop back, and steps nothing reaches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlowDefinition, type Step } from '../src/flows/definition.ts';
import { joinsOf, layoutFlow, type Lane, type LaneItem } from '../src/merchant/flow-layout.ts';
import { addAt, moveTo, removeAt } from '../src/merchant/flow-edits.ts';

const email = (id: string, next?: string): Step => ({ id, type: 'email', subject: `Subject ${id}`, html: '<p>x</p>', next });
const delay = (id: string, next?: string): Step => ({ id, type: 'delay', duration: 'PT4H', next });
const split = (id: string, yes?: string, no?: string): Step => ({ id, type: 'split', condition: { metric: 'Placed Order', since: 'entry', atLeast: 1 }, yes, no });
const def = (start: string, steps: Step[]) => FlowDefinition.parse({ name: 'T', trigger: { type: 'metric', metric: 'Started Checkout' }, start, steps });

/** A lane as nested arrays of ids: a split is [id, [lane...], ...]. */
function shape(lane: Lane): unknown[] {
  const out: unknown[] = lane.items.map((it: LaneItem) => (it.kind === 'split' ? { [it.step.id]: it.lanes.map(shape) } : it.step.id));
  out.push(lane.end.kind === 'join' || lane.end.kind === 'goto' ? `${lane.end.kind}:${lane.end.to}` : lane.end.kind);
  return out;
}

// wait → s1 ─yes→ s2 ─yes→ a → j2 → j1 → last
//               │       └no→ b ↗
//               └no→ c ──────────↗ j1
const nested = def('wait', [
  delay('wait', 's1'),
  split('s1', 's2', 'c'),
  split('s2', 'a', 'b'),
  email('a', 'j2'),
  email('b', 'j2'),
  delay('j2', 'j1'),
  email('c', 'j1'),
  email('j1', 'last'),
  email('last'),
]);

test('nested splits: lanes side by side, each re-joining where its split’s ways meet', () => {
  const joins = joinsOf(nested);
  assert.equal(joins.get('s1'), 'j1');
  assert.equal(joins.get('s2'), 'j2');
  assert.equal(joins.get('wait'), 's1');
  assert.equal(joins.get('last'), null);
  const layout = layoutFlow(nested);
  assert.deepEqual(shape(layout.main), [
    'wait',
    { s1: [[{ s2: [['a', 'join:j2'], ['b', 'join:j2']] }, 'j2', 'join:j1'], ['c', 'join:j1']] },
    'j1',
    'last',
    'end',
  ]);
  assert.deepEqual(layout.unreached, []);
  const s1 = layout.main.items[1]!;
  assert.equal(s1.kind, 'split');
  assert.deepEqual(s1.kind === 'split' && s1.lanes.map((l) => l.name), ['Yes', 'No']);
  // The spot below the outer split is reached from both of its lanes' ends.
  assert.deepEqual(layout.main.items[2]!.before?.edges.sort(), ['c:next', 'j2:next']);
  // Below the inner split, both of its lanes lead in.
  const inner = s1.kind === 'split' ? s1.lanes[0]! : undefined;
  assert.deepEqual(inner?.items[1]!.before?.edges.sort(), ['a:next', 'b:next']);
});

test('lanes that never meet again end on their own; A/B arms are lanes in arm order', () => {
  const d = def('ab', [
    { id: 'ab', type: 'ab', branches: [{ weight: 50, next: 'x' }, { weight: 30, next: 'y' }, { weight: 20 }] },
    email('x'),
    { id: 'y', type: 'exit' },
  ]);
  const layout = layoutFlow(d);
  assert.deepEqual(shape(layout.main), [{ ab: [['x', 'end'], ['y', 'exit'], ['end']] }, 'branches']);
  const ab = layout.main.items[0]!;
  assert.deepEqual(ab.kind === 'split' && ab.lanes.map((l) => l.name), ['Arm A (50%)', 'Arm B (30%)', 'Arm C (20%)']);
  // An empty arm still has a place to add its first step; an exit has none after it.
  assert.deepEqual(ab.kind === 'split' && ab.lanes.map((l) => l.tail?.edges ?? null), [['x:next'], null, ['ab:branch.2']]);
});

test('a wait that loops back shows the loop as “continues at”; unreachable steps get their own lane', () => {
  const d = def('w', [
    { id: 'w', type: 'wait-for', metric: 'Placed Order', timeout: 'P1D', onEvent: 'thanks', onTimeout: 'nudge' },
    email('nudge', 'w'),
    email('thanks'),
    email('orphan', 'thanks'),
  ]);
  const layout = layoutFlow(d);
  assert.deepEqual(shape(layout.main), [{ w: [['join:thanks'], ['nudge', 'goto:w']] }, 'thanks', 'end']);
  assert.deepEqual(layout.unreached.map(shape), [['orphan', 'goto:thanks']]);
  const w = layout.main.items[0]!;
  assert.deepEqual(w.kind === 'split' && w.lanes.map((l) => l.name), ['If Placed Order happens', 'If 1 day pass without it']);
});

test('steps keep the order a run meets them, whatever order the definition lists them in', () => {
  const d = def('one', [email('three'), email('two', 'three'), email('one', 'two')]);
  assert.deepEqual(shape(layoutFlow(d).main), ['one', 'two', 'three', 'end']);
});

const itemOf = (d: FlowDefinition, id: string) => {
  const find = (lane: Lane): LaneItem | undefined => {
    for (const it of lane.items) {
      if (it.step.id === id) return it;
      if (it.kind === 'split') for (const l of it.lanes) { const f = find(l); if (f) return f; }
    }
  };
  return find(layoutFlow(d).main);
};
const ok = <T extends { ok: boolean }>(r: T): Extract<T, { ok: true }> => {
  assert.ok(r.ok, JSON.stringify(r));
  return r as Extract<T, { ok: true }>;
};

test('up and down swap with neighbours, hop a split block whole, and step out of a lane at its ends', () => {
  // Down past a plain step.
  const j1 = itemOf(nested, 'j1') as Extract<LaneItem, { kind: 'step' }>;
  let d = ok(moveTo(nested, 'j1', j1.down!.key)).definition;
  assert.deepEqual(shape(layoutFlow(d).main).slice(2), ['last', 'j1', 'end']);
  // Up past a whole split block: j1 sits right after wait, before s1.
  d = ok(moveTo(nested, 'j1', j1.up!.key)).definition;
  assert.deepEqual(shape(layoutFlow(d).main), ['wait', 'j1', { s1: [[{ s2: [['a', 'join:j2'], ['b', 'join:j2']] }, 'j2', 'join:last'], ['c', 'join:last']] }, 'last', 'end']);
  // The top of a lane: up takes the step out above its split.
  const a = itemOf(nested, 'a') as Extract<LaneItem, { kind: 'step' }>;
  d = ok(moveTo(nested, 'a', a.up!.key)).definition;
  const after = layoutFlow(d);
  assert.deepEqual(shape(after.main)[1], { s1: [['a', { s2: [['join:j2'], ['b', 'join:j2']] }, 'j2', 'join:j1'], ['c', 'join:j1']] });
  // The bottom of a lane that re-joins: down takes it out below the split.
  const c = itemOf(nested, 'c') as Extract<LaneItem, { kind: 'step' }>;
  d = ok(moveTo(nested, 'c', c.down!.key)).definition;
  assert.deepEqual(shape(layoutFlow(d).main), ['wait', { s1: [[{ s2: [['a', 'join:j2'], ['b', 'join:j2']] }, 'j2', 'join:c'], ['join:c']] }, 'c', 'j1', 'last', 'end']);
  // The first step of the flow cannot go up; the last of a lane that just ends cannot go down.
  assert.equal((itemOf(nested, 'wait') as { up: unknown }).up, null);
  assert.equal((itemOf(nested, 'last') as { down: unknown }).down, null);
});

test('“move to” puts a step into another lane, and refuses a no-op, a split and a stale place', () => {
  const layout = layoutFlow(nested);
  const s1 = layout.main.items[1]!;
  const noLaneTop = s1.kind === 'split' ? s1.lanes[1]!.items[0]!.before! : undefined;
  const moved = ok(moveTo(nested, 'last', noLaneTop!.key)).definition;
  assert.deepEqual(shape(layoutFlow(moved).main), ['wait', { s1: [[{ s2: [['a', 'join:j2'], ['b', 'join:j2']] }, 'j2', 'join:j1'], ['last', 'c', 'join:j1']] }, 'j1', 'end']);
  const j1 = itemOf(nested, 'j1')!;
  assert.equal(moveTo(nested, 'j1', j1.before!.key).ok, false);
  assert.match((moveTo(nested, 's2', noLaneTop!.key) as { message: string }).message, /more than one way on/);
  assert.match((moveTo(nested, 'a', 'nowhere:next') as { message: string }).message, /reload/);
});

test('adding at a spot many lanes lead into re-points them all; removing a split takes its lanes', () => {
  const below = layoutFlow(nested).main.items[2]!.before!;
  const added = ok(addAt(nested, below.key, 'sms'));
  const d = added.definition;
  assert.equal(added.stepId, 'sms-1');
  assert.deepEqual(shape(layoutFlow(d).main), ['wait', { s1: [[{ s2: [['a', 'join:j2'], ['b', 'join:j2']] }, 'j2', 'join:sms-1'], ['c', 'join:sms-1']] }, 'sms-1', 'j1', 'last', 'end']);
  // A new split starts with both lanes empty, meeting again at what followed.
  const withSplit = ok(addAt(nested, layoutFlow(nested).main.items[0]!.before!.key, 'split')).definition;
  assert.deepEqual(shape(layoutFlow(withSplit).main).slice(0, 2), [{ 'split-1': [['join:wait'], ['join:wait']] }, 'wait']);

  const removed = ok(removeAt(nested, 's2')).definition;
  assert.deepEqual(removed.steps.map((s) => s.id).sort(), ['c', 'j1', 'j2', 'last', 's1', 'wait']);
  assert.deepEqual(shape(layoutFlow(removed).main), ['wait', { s1: [['j2', 'join:j1'], ['c', 'join:j1']] }, 'j1', 'last', 'end']);
  const plain = ok(removeAt(nested, 'j2')).definition;
  assert.deepEqual(shape(layoutFlow(plain).main)[1], { s1: [[{ s2: [['a', 'join:j1'], ['b', 'join:j1']] }, 'join:j1'], ['c', 'join:j1']] });
  assert.equal(removeAt(def('only', [email('only')]), 'only').ok, false);
});

test('every preset lays out with each step drawn exactly once', async () => {
  const { PRESETS } = await import('../src/flows/presets.ts');
  for (const [name, preset] of Object.entries(PRESETS)) {
    const d = FlowDefinition.parse(preset);
    const layout = layoutFlow(d);
    const seen: string[] = [];
    const walk = (lane: Lane) => lane.items.forEach((it) => {
      seen.push(it.step.id);
      if (it.kind === 'split') it.lanes.forEach(walk);
    });
    [layout.main, ...layout.unreached].forEach(walk);
    assert.deepEqual(seen.sort(), d.steps.map((s) => s.id).sort(), name);
    assert.deepEqual(layout.unreached, [], `${name}: every step reached`);
  }
});
