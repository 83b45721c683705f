// Delay: the run waits for a while, or until a time of day (in the shopper's timezone),
// optionally on chosen weekdays.
import { z } from 'zod';
import { amountOf, humanDuration, isoOf, WEEKDAYS } from '../../merchant/form-units.ts';
import { addDuration, nextLocalTime } from '../flow-time.ts';
import { IsoDuration, next, StepId, TimeOfDay, Weekday } from './fields.ts';
import { list, opt, str } from './form-values.ts';
import { THEN_FIELD, thenEdge, type StepModule } from './step-module.ts';

const schema = z.object({
  id: StepId,
  type: z.literal('delay'),
  duration: IsoDuration.optional(),
  until: z.object({ time: TimeOfDay, weekdays: z.array(Weekday).optional() }).optional(),
  next,
}).refine((s) => Boolean(s.duration) !== Boolean(s.until), 'a delay has either duration or until');
type DelayStep = z.infer<typeof schema>;

export const delayStep = {
  type: 'delay',
  title: 'Wait (a delay)',
  schema,
  edges: () => thenEdge<DelayStep>(),
  advance: (step, v) => {
    const due = step.duration ? addDuration(v.now, step.duration) : nextLocalTime(v.now, step.until!.time, v.facts.profile.timezone, step.until!.weekdays);
    v.goTo(step.id, step.next, `delayed until ${due.toISOString()}`);
    v.out.nextAt = due;
    v.out.status = 'active';
    return 'stop';
  },
  needs: { waits: true, stops: true },
  form: {
    values: (step) => {
      const d = amountOf(step.duration);
      return { delay_kind: step.until ? 'until' : 'for', duration_amount: d.amount, duration_unit: d.unit, until_time: str(step.until?.time), until_weekdays: step.until?.weekdays ?? [], next: str(step.next) };
    },
    parse: (f, base) => {
      const weekdays = list(f.until_weekdays);
      if (f.delay_kind === 'until' && !opt(f.until_time)) return { field: 'until_time', message: 'choose the time of day to wait until' };
      const until = f.delay_kind === 'until' ? { time: opt(f.until_time), ...(weekdays.length ? { weekdays } : {}) } : undefined;
      const duration = f.delay_kind === 'until' ? undefined : isoOf(f.duration_amount, f.duration_unit);
      if (f.delay_kind !== 'until' && !duration) return { field: 'duration_amount', message: 'enter how long to wait: a whole number above 0, and a unit' };
      return { step: { ...base, duration, until, next: opt(f.next) } };
    },
    edgeFields: THEN_FIELD,
    issueFields: [[/^duration/, 'duration_amount'], [/^until\.time/, 'until_time'], [/^until\.weekdays/, 'until_weekdays']],
  },
  summary: (step) =>
    step.duration ? `Wait ${humanDuration(step.duration)}` : `Wait until ${step.until?.time}${step.until?.weekdays?.length ? ` on ${step.until.weekdays.map((d) => WEEKDAYS.find((w) => w.value === d)?.label ?? d).join(', ')}` : ''}`,
  sample: (id, to) => ({ id, type: 'delay', duration: 'P1D', next: to }),
} satisfies StepModule<DelayStep>;
