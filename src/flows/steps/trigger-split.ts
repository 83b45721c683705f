// Trigger split: yes when the event that started the run meets every condition. Only a metric
// trigger has such an event.
import { z } from 'zod';
import { conditionsOf, rowsOf, tidyRows } from '../../merchant/condition-form.ts';
import { allHold } from '../conditions.ts';
import { describeCondition } from './condition-words.ts';
import { next, PathCondition, StepId } from './fields.ts';
import { opt, str } from './form-values.ts';
import type { StepModule } from './step-module.ts';

/** Condition rows the form shows at least. */
const ROWS = 3;

const schema = z.object({ id: StepId, type: z.literal('trigger-split'), where: z.array(PathCondition).min(1), yes: next, no: next });
type TriggerSplitStep = z.infer<typeof schema>;

export const triggerSplitStep = {
  type: 'trigger-split',
  title: 'Split on the trigger event (yes / no)',
  schema,
  edges: () => [
    { key: 'yes', label: 'yes', lane: 'Yes', get: (s) => s.yes, set: (s, to) => ({ ...s, yes: to }) },
    { key: 'no', label: 'no', lane: 'No', get: (s) => s.no, set: (s, to) => ({ ...s, no: to }) },
  ],
  advance: (step, v) => {
    const yes = allHold(step.where, v.cond);
    v.goTo(step.id, yes ? step.yes : step.no, yes ? 'yes' : 'no');
    return 'on';
  },
  needs: {
    check: (_step, flow) => (flow.trigger.type === 'metric' ? [] : [{ message: `splits on the trigger event, but a ${flow.trigger.type} trigger has none` }]),
  },
  form: {
    // Every condition gets its row (and a spare one to add another), so saving never drops one.
    values: (step) => ({ ...rowsOf('where', step.where, ROWS), yes: str(step.yes), no: str(step.no) }),
    // Rows left empty are not conditions; the numbering of what remains follows the form's.
    parse: (f, base) => ({ step: { ...base, where: conditionsOf('where', f, 'event'), yes: opt(f.yes), no: opt(f.no) } }),
    // Filled rows are renumbered from 0 (empty ones dropped, one spare kept), so an engine issue
    // about where.N lands on the row the user sees as the N-th.
    tidy: (f) => tidyRows('where', f, ROWS),
    edgeFields: [{ name: 'yes', label: 'If yes, go to' }, { name: 'no', label: 'If no, go to' }],
    issueFields: [[/^where\.(\d+)\.path/, 'where_prop_$1'], [/^where\.(\d+)\.op/, 'where_op_$1'], [/^where\.(\d+)\.value/, 'where_value_$1'], [/^where/, 'where_prop_0']],
  },
  summary: (step) => `If the trigger event has ${step.where.map(describeCondition).join(' and ')}`,
  sample: (id, to) => ({ id, type: 'trigger-split', where: [{ path: 'event.value', op: 'gte', value: 100 }], yes: to, no: to }),
} satisfies StepModule<TriggerSplitStep>;
