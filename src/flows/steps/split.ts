// Split: yes or no on one condition, either "has done the metric" or a value on the profile or
// the trigger event. A run that passes a metric split on "no" asks it again before each message.
import { z } from 'zod';
import { amountOf, isoOf } from '../../merchant/form-units.ts';
import { conditionsOf, rowsOf } from '../../merchant/condition-form.ts';
import { holds } from '../conditions.ts';
import { describeCondition } from './condition-words.ts';
import { Condition, next, StepId } from './fields.ts';
import { num, opt, str } from './form-values.ts';
import { metricHolds } from './metric-window.ts';
import type { StepModule } from './step-module.ts';

const schema = z.object({ id: StepId, type: z.literal('split'), condition: Condition, yes: next, no: next });
type SplitStep = z.infer<typeof schema>;

export const splitStep = {
  type: 'split',
  title: 'Split on a condition (yes / no)',
  schema,
  edges: () => [
    { key: 'yes', label: 'yes', lane: 'Yes', get: (s) => s.yes, set: (s, to) => ({ ...s, yes: to }) },
    { key: 'no', label: 'no', lane: 'No', get: (s) => s.no, set: (s, to) => ({ ...s, no: to }) },
  ],
  advance: (step, v) => {
    const c = step.condition;
    const { out } = v;
    const yes = 'metric' in c ? metricHolds(c, v.run, v.facts) : holds(c, v.cond);
    if (!yes && 'metric' in c && !out.context.noSplits?.includes(step.id)) out.context.noSplits = [...(out.context.noSplits ?? []), step.id];
    v.goTo(step.id, yes ? step.yes : step.no, yes ? 'yes' : 'no');
    return 'on';
  },
  needs: {
    metrics: (step) => ('metric' in step.condition ? [{ metric: step.condition.metric, since: step.condition.since }] : []),
    recheck: (step) => ('metric' in step.condition ? step.condition : undefined),
  },
  form: {
    values: (step) => {
      const c = step.condition;
      if ('metric' in c) {
        const since = c.since === 'entry' ? { amount: '', unit: 'days' } : amountOf(c.since);
        return { cond_kind: 'metric', cond_metric: c.metric, cond_since_amount: since.amount, cond_since_unit: since.unit, cond_atLeast: String(c.atLeast), ...rowsOf('cond', [], 1), yes: str(step.yes), no: str(step.no) };
      }
      return { cond_kind: 'path', cond_metric: '', cond_since_amount: '', cond_since_unit: 'days', cond_atLeast: '1', ...rowsOf('cond', [c], 1), cond_rows: '1', yes: str(step.yes), no: str(step.no) };
    },
    parse: (f, base) => ({
      step: {
        ...base,
        condition: f.cond_kind === 'path'
          ? (conditionsOf('cond', f)[0] ?? { path: '', op: 'eq' })
          : { metric: str(f.cond_metric).trim(), since: isoOf(f.cond_since_amount, f.cond_since_unit) ?? 'entry', atLeast: num(f.cond_atLeast || '1') },
        yes: opt(f.yes),
        no: opt(f.no),
      },
    }),
    edgeFields: [{ name: 'yes', label: 'If yes, go to' }, { name: 'no', label: 'If no, go to' }],
    issueFields: [
      [/^condition\.metric/, 'cond_metric'], [/^condition\.since/, 'cond_since_amount'], [/^condition\.atLeast/, 'cond_atLeast'],
      [/^condition\.path/, 'cond_prop_0'], [/^condition\.op/, 'cond_op_0'], [/^condition\.value/, 'cond_value_0'], [/^condition(\.|$)/, 'cond_metric'],
    ],
  },
  summary: (step) => `If ${describeCondition(step.condition)}`,
  sample: (id, to) => ({ id, type: 'split', condition: { metric: 'Placed Order', since: 'entry', atLeast: 1 }, yes: to, no: to }),
} satisfies StepModule<SplitStep>;
