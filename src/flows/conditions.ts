// Path conditions over the facts a run knows: the profile and the trigger event; and the moment
// "since entry" counts from.
import type { FlowRun } from '../model/flow.ts';
import type { PathCondition } from './steps/fields.ts';

/**
 * When a run entered, for time conditions: the trigger event's own time. The run is made by a
 * worker a little (or, with a late webhook, a lot) after the event, and an order placed in
 * between happened after the shopper entered, not before. Never later than the run's creation.
 */
export function entryTime(run: Pick<FlowRun, 'enteredAt' | 'triggerEvent'>): Date {
  const t = run.triggerEvent ? new Date(run.triggerEvent.time).getTime() : NaN;
  return Number.isNaN(t) || t > run.enteredAt.getTime() ? run.enteredAt : new Date(t);
}

export type ConditionFacts = { profile: Record<string, unknown>; event: Record<string, unknown> | null };

function read(facts: ConditionFacts, path: string): unknown {
  const [root, ...keys] = path.split('.');
  let at: unknown = root === 'profile' ? facts.profile : facts.event;
  for (const key of keys) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

function comparable(a: unknown, b: unknown): [number, number] | [string, string] | null {
  const na = typeof a === 'number' ? a : typeof a === 'string' && a.trim() !== '' ? Number(a) : NaN;
  const nb = typeof b === 'number' ? b : typeof b === 'string' && b.trim() !== '' ? Number(b) : NaN;
  if (!Number.isNaN(na) && !Number.isNaN(nb)) return [na, nb];
  if (typeof a === 'string' && typeof b === 'string') return [a, b];
  return null;
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const pair = comparable(a, b);
  return pair !== null && pair[0] === pair[1];
}

export function holds(c: PathCondition, facts: ConditionFacts): boolean {
  const v = read(facts, c.path);
  switch (c.op) {
    case 'exists':
      return v !== undefined && v !== null && v !== '';
    case 'eq':
      return equal(v, c.value);
    case 'neq':
      return !equal(v, c.value);
    case 'contains':
      if (Array.isArray(v)) return v.some((x) => x === c.value);
      return typeof v === 'string' && typeof c.value === 'string' && v.toLowerCase().includes(c.value.toLowerCase());
    default: {
      const pair = comparable(v, c.value);
      if (!pair) return false;
      const [p, q] = pair as [number, number];
      return c.op === 'gt' ? p > q : c.op === 'gte' ? p >= q : c.op === 'lt' ? p < q : p <= q;
    }
  }
}

export const allHold = (conditions: PathCondition[], facts: ConditionFacts): boolean => conditions.every((c) => holds(c, facts));

/** Conditions read profile fields both at the top (profile.email) and under profile.properties. */
export function conditionFacts(
  profile: { properties: Record<string, unknown> } & Record<string, unknown>,
  event: Record<string, unknown> | null,
): ConditionFacts {
  return { profile: { ...profile.properties, ...profile, properties: profile.properties }, event };
}
