// A flow is data: a trigger, a graph of steps, filters and a re-entry rule (DESIGN §3, §6).
import { z } from 'zod';
import { IsoDuration, PathCondition, StepId } from './steps/fields.ts';
import { Step, stepModule } from './steps/registry.ts';

// The shared pieces and the step union live beside the step modules; named here as before.
export { Condition, IsoDuration, MetricCondition, PathCondition } from './steps/fields.ts';
export { Step } from './steps/registry.ts';

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
  /**
   * Back in stock (docs/inventory-flows.md): a variant's counted stock rising from below
   * `minimum` to at least it opens an episode; every `recountMinutes` while it lasts, up to
   * `perUnit` waiting shoppers per unit in stock are told, oldest request first.
   */
  z.object({
    type: z.literal('back-in-stock'),
    minimum: z.number().int().min(1).max(100_000).default(1),
    perUnit: z.number().int().min(1).max(1_000).default(1),
    recountMinutes: z.number().int().min(1).max(7 * 24 * 60).default(60),
  }),
]);
export type Trigger = z.infer<typeof Trigger>;

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
  const mod = stepModule(step);
  return mod ? mod.edges(step).map((e) => e.get(step)).filter((s): s is string => Boolean(s)) : [];
}

/** Steps that make a run wait (a loop through one of these cannot spin). */
export function isWaiting(step: Step): boolean {
  return stepModule(step)?.needs.waits === true;
}
