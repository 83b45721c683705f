// The one table of step types. The definition's `Step` union is built from it, and the
// orchestrator, the validator, the tick and the editor look a step's module up here: a new step
// type is its module (and its view, views/app/steps/<type>.liquid) plus one line below.
import { z } from 'zod';
import { abStep } from './ab.ts';
import { delayStep } from './delay.ts';
import { emailStep } from './email.ts';
import { exitStep } from './exit.ts';
import { smsStep } from './sms.ts';
import { splitStep } from './split.ts';
import { triggerSplitStep } from './trigger-split.ts';
import { updateProfileStep } from './update-profile.ts';
import { waitForStep } from './wait-for.ts';
import { webhookStep } from './webhook.ts';
import type { StepModule } from './step-module.ts';

/** Every step type, in the order the editor offers them. */
export const STEP_MODULES = [emailStep, smsStep, delayStep, splitStep, triggerSplitStep, waitForStep, abStep, webhookStep, updateProfileStep, exitStep] as const;

type Schemas<M extends readonly unknown[]> = { [K in keyof M]: M[K] extends { schema: infer S } ? S : never };
const schemas = STEP_MODULES.map((m) => m.schema) as unknown as Schemas<typeof STEP_MODULES>;

export const Step = z.discriminatedUnion('type', schemas);
export type Step = z.infer<typeof Step>;
export type StepType = Step['type'];

export const STEP_TYPES = STEP_MODULES.map((m) => m.type) as unknown as readonly [StepType, ...StepType[]];

const byType = new Map<string, unknown>(STEP_MODULES.map((m) => [m.type, m]));

/**
 * The module of a step's type. Undefined only for a type this version does not know: a
 * definition stored by a later version (parsing refuses any other).
 */
export function stepModule<S extends Step>(step: S): StepModule<S> | undefined {
  return byType.get(step.type) as StepModule<S> | undefined;
}

/** The module registered for a type name, as the editor's add form names it. */
export function moduleOfType(type: string): StepModule<Step> | undefined {
  return byType.get(type) as StepModule<Step> | undefined;
}
