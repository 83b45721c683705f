// What a step type is: one module under src/flows/steps/ with every part the engine, the
// validator and the editor ask of it, registered in registry.ts. This file holds the shapes
// those parts share (and the facts and effects of a run), so a module never imports another.
import type { z } from 'zod';
import type { FlowRun, FlowStatus, RunStatus } from '../../model/flow.ts';
import type { FactProfile } from '../../model/profile.ts';
import type { RunUpdate } from '../../model/flow.ts';
import type { OutboundRules } from '../../security/outbound-url.ts';
import type { ConditionFacts } from '../conditions.ts';
import type { EmailBlocks } from '../../messaging/email-blocks/blocks.ts';
import type { MetricCondition, PathCondition } from './fields.ts';

/** What a run knows of its profile (read in bulk per tick). */
export type ProfileFacts = FactProfile;

export type RunFacts = {
  now: Date;
  flowStatus: FlowStatus;
  storeActive: boolean;
  profile: ProfileFacts;
  lastMessaged: { email: Date | null; sms: Date | null };
  /** How many `metric` events the profile has at or after `since`. */
  metricCount: (metric: string, since: Date) => number;
  /** Current stock of the run's item (low-inventory runs); undefined when the run has none. */
  itemQuantity?: number | null;
  /** Current price of the run's item (price-drop runs); null when the item was removed. */
  itemPrice?: number | null;
  /** Whether the profile is still in the segment the run entered from (segment-triggered runs). */
  inSegment?: boolean;
  /** Hours the run's item lasts at its recent pace (sell-out forecast runs); null when nothing sold. */
  itemForecastHours?: number | null;
  /** The outcome of a finished webhook call, by its idempotency key (the step visit). */
  webhookOutcome?: (key: string) => { ok: boolean; attempts: number; error?: string } | undefined;
};

/** A message step as the tick renders it (the email and sms modules' steps have this shape). */
export type MessageStep =
  | { id: string; type: 'email'; subject: string; html: string; blocks?: EmailBlocks | undefined; next?: string | undefined }
  | { id: string; type: 'sms'; text: string; next?: string | undefined };

export type Effect =
  | {
      kind: 'message'; channel: 'email' | 'sms'; stepId: string; dedupeKey: string; status: 'queued' | 'held'; step: MessageStep; abBranch: string | null;
      /** The passed "has not done X" splits, for delivery to ask once more. */
      exitIf: Array<{ metric: string; since: string; atLeast: number; reason: string }>;
    }
  | { kind: 'skip'; channel: 'email' | 'sms'; stepId: string; dedupeKey: string; reason: string }
  | { kind: 'update-profile'; stepId: string; set: Record<string, unknown> }
  | { kind: 'webhook'; stepId: string; url: string; key: string };

export type Advance = Omit<RunUpdate, 'storeId' | 'id' | 'endedAt'> & {
  effects: Effect[];
  logs: Array<{ seq: number; stepId: string; outcome: string }>;
};

/** The parts of the flow's definition a step reads while a run is on it. */
export type FlowSettings = {
  filters: PathCondition[];
  smartSending: { enabled: boolean; windowHours: number; mode: 'skip' | 'hold' };
  quietHours: { start: string; end: string };
};

/** One visit of a run to a step: the run's state so far and the moves the step can make. */
export type StepVisit = {
  run: FlowRun;
  facts: RunFacts;
  flow: FlowSettings;
  /** The decision being built; a step writes its context, effects and wait through it. */
  out: Advance;
  now: Date;
  /** `run:step:stepCount`: stable across replays, so dedupe keys made from it are too. */
  visitKey: string;
  cond: ConditionFacts;
  /** Conditions the run passed on "has not done X", asked again before a message. */
  rechecks: () => MetricCondition[];
  log: (stepId: string, outcome: string) => void;
  /** Logs the outcome and moves the run on to `next` (none: the end) at once. */
  goTo: (stepId: string, next: string | undefined, outcome: string) => void;
  end: (status: 'completed' | 'exited', reason: string) => void;
  hold: (until: Date, status?: RunStatus) => void;
};

/** `on`: the run carries on to its next step in this tick; `stop`: it stops here for this tick. */
export type VisitResult = 'on' | 'stop';

/** An outgoing edge: where the step leads, read and rewritten by the builder's edits. */
/** A way out of a step; `lane` names it in the builder's graph when the step branches. */
export type Edge<S> = { key: string; label: string; lane?: string; get: (s: S) => string | undefined; set: (s: S, to: string | undefined) => S };

/** The editor's flat form: one input per setting. */
export type StepForm = Record<string, string | string[]>;
export type FormParse = { step: unknown } | { field: string; message: string };

export type StepBase = { id: string; type: string };

export type StepModule<S extends StepBase> = {
  type: S['type'];
  /** The type as the merchant picks it when adding a step ("Wait for an event"). */
  title: string;
  schema: z.ZodType<S, unknown>;
  /** Where the step may lead, in the order the builder lists them. */
  edges: (step: S) => Array<Edge<S>>;
  /** What a run does on reaching the step. No I/O and no clock: effects are carried out by the tick. */
  advance: (step: S, visit: StepVisit) => VisitResult;
  needs: {
    /** The channel the step messages on: the tick reads recent messages and the editor previews. */
    channel?: 'email' | 'sms';
    /** A run stays on it for a while, so a loop through it cannot spin. */
    waits?: boolean;
    /** A run reaching it always stops until a later tick (facts past it are not read now). */
    stops?: boolean;
    /** Metrics whose events the tick reads for a run that can reach the step. */
    metrics?: (step: S) => Array<{ metric: string; since: string }>;
    /** A condition passed on its "no" branch that is asked again before every message. */
    recheck?: (step: S) => MetricCondition | undefined;
    /** Liquid sources that must compile, by field. */
    templates?: (step: S) => Array<[field: string, source: string]>;
    /** Rules the schema cannot say alone; `path` is under the step, the message follows its name. */
    check?: (step: S, flow: { trigger: { type: string } }, outbound: OutboundRules) => Array<{ path?: string; message: string }>;
  };
  form: {
    /** The form's values for the step. */
    values: (step: S) => StepForm;
    /** The step a submitted form describes (unvalidated), or a field error when the form cannot say. */
    parse: (f: StepForm, base: { id: string; type: S['type'] }) => FormParse;
    /** Tidies a submitted form before it is read or shown again. */
    tidy?: (f: StepForm) => StepForm;
    /** The edge selects the shared view draws, by form field, with their labels. */
    edgeFields: Array<{ name: string; label: string }>;
    /** Validation paths under the step mapped to the form field that shows them. */
    issueFields?: Array<[RegExp, string]>;
  };
  /** One line in the merchant's words, for the flow page. */
  summary: (step: S) => string;
  /** The step a new one of this type starts as, continuing to `to`. */
  sample: (id: string, to: string | undefined) => S;
};

/** The one edge of a step that goes on to a single next step. */
export function thenEdge<S extends { next?: string | undefined }>(): Array<Edge<S>> {
  return [{ key: 'next', label: 'then', get: (s) => s.next, set: (s, to) => ({ ...s, next: to }) }];
}

export const THEN_FIELD = [{ name: 'next', label: 'Then go to' }];
