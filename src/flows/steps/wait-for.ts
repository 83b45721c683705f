// Wait for: the run waits until the shopper does the metric (one branch) or the timeout passes
// (the other). The tick wakes a waiting run when its metric arrives.
import { z } from 'zod';
import { amountOf, humanDuration, isoOf } from '../../merchant/form-units.ts';
import { addDuration } from '../flow-time.ts';
import { IsoDuration, next, StepId } from './fields.ts';
import { opt, str } from './form-values.ts';
import type { StepModule } from './step-module.ts';

const schema = z.object({ id: StepId, type: z.literal('wait-for'), metric: z.string().trim().min(1), timeout: IsoDuration, onEvent: next, onTimeout: next });
type WaitForStep = z.infer<typeof schema>;

export const waitForStep = {
  type: 'wait-for',
  title: 'Wait for an event',
  schema,
  edges: (step) => [
    { key: 'onEvent', label: `on ${step.metric}`, lane: `If ${step.metric} happens`, get: (s) => s.onEvent, set: (s, to) => ({ ...s, onEvent: to }) },
    { key: 'onTimeout', label: `after ${humanDuration(step.timeout)} without it`, lane: `If ${humanDuration(step.timeout)} pass without it`, get: (s) => s.onTimeout, set: (s, to) => ({ ...s, onTimeout: to }) },
  ],
  advance: (step, v) => {
    const { out, now } = v;
    const since = out.context.waitSince ? new Date(out.context.waitSince) : now;
    const deadline = addDuration(since, step.timeout);
    if (out.context.waitSince && v.facts.metricCount(step.metric, since) > 0) {
      delete out.context.waitSince;
      out.waitMetric = null;
      out.status = 'active';
      v.goTo(step.id, step.onEvent, `${step.metric} happened`);
      return 'on';
    }
    if (out.context.waitSince && now >= deadline) {
      delete out.context.waitSince;
      out.waitMetric = null;
      out.status = 'active';
      v.goTo(step.id, step.onTimeout, 'timed out');
      return 'on';
    }
    out.context.waitSince = since.toISOString();
    out.waitMetric = step.metric;
    v.hold(deadline, 'waiting');
    return 'stop';
  },
  needs: { waits: true, metrics: (step) => [{ metric: step.metric, since: 'entry' }] },
  form: {
    values: (step) => {
      const t = amountOf(step.timeout);
      return { metric: step.metric, timeout_amount: t.amount, timeout_unit: t.unit, onEvent: str(step.onEvent), onTimeout: str(step.onTimeout) };
    },
    parse: (f, base) => {
      const timeout = isoOf(f.timeout_amount, f.timeout_unit);
      if (!timeout) return { field: 'timeout_amount', message: 'enter how long to wait for it: a whole number above 0, and a unit' };
      return { step: { ...base, metric: str(f.metric).trim(), timeout, onEvent: opt(f.onEvent), onTimeout: opt(f.onTimeout) } };
    },
    edgeFields: [{ name: 'onEvent', label: 'When it happens, go to' }, { name: 'onTimeout', label: 'On timeout, go to' }],
    issueFields: [[/^timeout/, 'timeout_amount']],
  },
  summary: (step) => `Wait up to ${humanDuration(step.timeout)} for ${step.metric}`,
  sample: (id, to) => ({ id, type: 'wait-for', metric: 'Placed Order', timeout: 'P3D', onEvent: to, onTimeout: to }),
} satisfies StepModule<WaitForStep>;
