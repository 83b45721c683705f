// The zod pieces step schemas share with the rest of a definition (triggers, filters, re-entry).
// They sit apart from `definition.ts` so a step module can use them while `definition.ts` builds
// its `Step` union from the modules.
import { z } from 'zod';
import { Duration } from 'luxon';

export const StepId = z.string().trim().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _ only');

/** An edge to the step that follows; none ends the run. */
export const next = StepId.optional();

export const TimeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/);

export const Weekday = z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);

export const IsoDuration = z
  .string()
  .trim()
  .refine((s) => {
    const d = Duration.fromISO(s);
    return d.isValid && d.as('milliseconds') > 0;
  }, 'must be a positive ISO 8601 duration such as PT4H or P3D');

const Op = z.enum(['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'contains', 'exists']);

/** A test on one value: `profile.properties.vip eq true`, `event.properties.Total gt 100`. */
export const PathCondition = z.object({
  path: z.string().trim().regex(/^(profile|event)(\.[^.\s]+)+$/, 'must start with profile. or event.'),
  op: Op,
  value: z.unknown().optional(),
});
export type PathCondition = z.infer<typeof PathCondition>;

/** "Has done the metric at least N times since entering the flow (or within a window)". */
export const MetricCondition = z.object({
  metric: z.string().trim().min(1).max(255),
  since: z.union([z.literal('entry'), IsoDuration]).default('entry'),
  atLeast: z.number().int().min(1).default(1),
});
export type MetricCondition = z.infer<typeof MetricCondition>;

export const Condition = z.union([MetricCondition, PathCondition]);
export type Condition = z.infer<typeof Condition>;
