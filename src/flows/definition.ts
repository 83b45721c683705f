// A flow is data: a trigger, a graph of steps, filters and a re-entry rule (DESIGN §3, §6).
import { z } from 'zod';
import { Duration } from 'luxon';
import { EmailBlocks } from '../messaging/email-blocks/blocks.ts';

const StepId = z.string().trim().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _ only');

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

const Weekday = z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);

const ExclusionWindow = z.union([z.literal(7), z.literal(14), z.literal(30), z.literal(60), z.literal(90)]).default(30);

export const Trigger = z.discriminatedUnion('type', [
  z.object({ type: z.literal('metric'), metric: z.string().trim().min(1).max(255), where: z.array(PathCondition).default([]) }),
  z.object({ type: z.literal('list'), list: z.string().trim().min(1).max(255) }),
  z.object({ type: z.literal('segment'), segmentId: z.uuid() }),
  z.object({
    type: z.literal('date'),
    property: z.string().trim().min(1).max(255),
    offsetDays: z.number().int().min(-365).max(365).default(0),
    /** Local time of day the run starts, in the profile's timezone. */
    at: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/).default('09:00'),
  }),
  z.object({
    type: z.literal('low-inventory'),
    level: z.enum(['product', 'variant']),
    threshold: z.number().int().min(1).max(100_000),
    metrics: z.array(z.string().trim().min(1)).min(1),
    lookbackDays: z.number().int().min(1).max(365).default(30),
    excludePurchasedWithinDays: ExclusionWindow,
  }),
  z.object({
    type: z.literal('price-drop'),
    level: z.enum(['product', 'variant']),
    /** The fall, against the price the shopper saw, that counts: a share, an amount, or both. */
    minPercent: z.number().gt(0).max(100).optional(),
    minAmount: z.number().gt(0).max(1_000_000_000).optional(),
    metrics: z.array(z.string().trim().min(1)).min(1),
    lookbackDays: z.number().int().min(1).max(365).default(30),
    excludePurchasedWithinDays: ExclusionWindow,
  }),
  /** "Expected to sell out within H hours" at the pace of the last `velocityDays` of Ordered Product. */
  z.object({
    type: z.literal('sell-out-forecast'),
    level: z.enum(['product', 'variant']),
    withinHours: z.number().int().min(1).max(24 * 90),
    velocityDays: z.number().int().min(1).max(90).default(7),
    metrics: z.array(z.string().trim().min(1)).min(1),
    lookbackDays: z.number().int().min(1).max(365).default(30),
    excludePurchasedWithinDays: z.union([z.literal(7), z.literal(14), z.literal(30), z.literal(60), z.literal(90)]).default(30),
  }),
]);
export type Trigger = z.infer<typeof Trigger>;

const next = StepId.optional();

export const Step = z.discriminatedUnion('type', [
  /** An email built from blocks keeps them (the message) and their compiled template in `html` (where raw mode starts). */
  z.object({ id: StepId, type: z.literal('email'), subject: z.string().min(1).max(500), html: z.string().min(1).max(200_000), blocks: EmailBlocks.optional(), next }),
  z.object({ id: StepId, type: z.literal('sms'), text: z.string().min(1).max(1600), next }),
  z.object({ id: StepId, type: z.literal('webhook'), url: z.url().refine((u) => /^https?:/.test(u), 'http(s) only'), next }),
  z.object({
    id: StepId,
    type: z.literal('delay'),
    duration: IsoDuration.optional(),
    until: z.object({ time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/), weekdays: z.array(Weekday).optional() }).optional(),
    next,
  }).refine((s) => Boolean(s.duration) !== Boolean(s.until), 'a delay has either duration or until'),
  z.object({ id: StepId, type: z.literal('split'), condition: Condition, yes: next, no: next }),
  z.object({ id: StepId, type: z.literal('trigger-split'), where: z.array(PathCondition).min(1), yes: next, no: next }),
  z.object({ id: StepId, type: z.literal('wait-for'), metric: z.string().trim().min(1), timeout: IsoDuration, onEvent: next, onTimeout: next }),
  z.object({
    id: StepId,
    type: z.literal('ab'),
    branches: z.array(z.object({ weight: z.number().min(0).max(100), next })).min(2).max(5),
  }),
  z.object({ id: StepId, type: z.literal('update-profile'), set: z.record(z.string().min(1).max(255), z.unknown()), next }),
  z.object({ id: StepId, type: z.literal('exit') }),
]);
export type Step = z.infer<typeof Step>;

export const FlowStatus = z.enum(['draft', 'manual', 'live']);
export type FlowStatus = z.infer<typeof FlowStatus>;

export const Reentry = z
  .object({ mode: z.enum(['once', 'always', 'after']), after: IsoDuration.optional() })
  .refine((r) => r.mode !== 'after' || Boolean(r.after), 'mode "after" needs an "after" duration');

export const FlowDefinition = z.object({
  name: z.string().trim().min(1).max(255),
  status: FlowStatus.default('draft'),
  tags: z.array(z.string().trim().min(1).max(64)).max(20).default([]),
  trigger: Trigger,
  filters: z.array(PathCondition).default([]),
  reentry: Reentry.default({ mode: 'always' }),
  start: StepId,
  steps: z.array(Step).min(1).max(200),
  /** Skip (or hold) a message when the profile was messaged on that channel within the window. */
  smartSending: z
    .object({ enabled: z.boolean().default(true), windowHours: z.number().min(0).max(24 * 30).default(16), mode: z.enum(['skip', 'hold']).default('skip') })
    .default({ enabled: true, windowHours: 16, mode: 'skip' }),
  /** SMS waits outside these local hours (profile timezone). */
  quietHours: z
    .object({ start: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/), end: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/) })
    .default({ start: '21:00', end: '09:00' }),
  /** Days after a message within which a Placed Order counts as converted. */
  attributionDays: z.number().int().min(1).max(60).default(5),
});
export type FlowDefinition = z.infer<typeof FlowDefinition>;

/** Where a step may go next. */
export function successors(step: Step): string[] {
  switch (step.type) {
    case 'split':
    case 'trigger-split':
      return [step.yes, step.no].filter((s): s is string => Boolean(s));
    case 'wait-for':
      return [step.onEvent, step.onTimeout].filter((s): s is string => Boolean(s));
    case 'ab':
      return step.branches.map((b) => b.next).filter((s): s is string => Boolean(s));
    case 'exit':
      return [];
    default:
      return step.next ? [step.next] : [];
  }
}

/** Steps that make a run wait (a loop through one of these cannot spin). */
export function isWaiting(step: Step): boolean {
  return step.type === 'delay' || step.type === 'wait-for';
}
