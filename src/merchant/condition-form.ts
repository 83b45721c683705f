// One condition builder for every place a flow tests a value (trigger splits, splits, flow
// filters): rows of "what" (the shopper's profile or the trigger event), a property picked by
// name, an operator in words and a value. The definition keeps paths; merchants never type one.
import type { PathCondition } from '../flows/steps/fields.ts';

export type Rows = Record<string, string | string[]>;

const FIELDS = ['source', 'prop', 'op', 'value'] as const;
const MAX_ROWS = 50;
const PROFILE_FIELDS = ['email', 'phone', 'firstName', 'lastName', 'timezone'];

const text = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');
const shown = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v));

/** profile.properties.vip → profile + vip; event.value → event + value; event.properties.Total → event + Total. */
export function splitPath(path: string): { source: 'profile' | 'event'; prop: string } {
  const [root, ...rest] = path.split('.');
  const source = root === 'event' ? 'event' : 'profile';
  const tail = rest[0] === 'properties' ? rest.slice(1) : rest;
  return { source, prop: tail.join('.') };
}

export function pathOf(source: string, prop: string): string {
  const name = prop.replace(/^(profile|event)\./, '').replace(/^properties\./, '');
  if (source === 'event') return name === 'value' || name === 'metric' || name === 'time' ? `event.${name}` : `event.properties.${name}`;
  return PROFILE_FIELDS.includes(name) ? `profile.${name}` : `profile.properties.${name}`;
}

/** A typed value: numbers and true/false stay typed; anything else is text. */
function typed(v: unknown): unknown {
  const s = text(v);
  if (s === '') return undefined;
  if (s === 'true' || s === 'false') return s === 'true';
  return /^-?\d+(\.\d+)?$/.test(s) ? Number(s) : s;
}

/** The rows a form shows for these conditions, with a spare row to add one. */
export function rowsOf(prefix: string, conditions: readonly PathCondition[], minRows: number): Rows {
  const out: Rows = { [`${prefix}_rows`]: String(Math.max(minRows, conditions.length + 1)) };
  conditions.forEach((c, i) => {
    const { source, prop } = splitPath(c.path);
    out[`${prefix}_source_${i}`] = source;
    out[`${prefix}_prop_${i}`] = prop;
    out[`${prefix}_op_${i}`] = c.op;
    out[`${prefix}_value_${i}`] = shown(c.value);
  });
  return out;
}

/** Indexes of rows with a property named, in order (a row without one is not a condition). */
function filled(prefix: string, f: Rows): number[] {
  const seen = new Set<number>();
  const re = new RegExp(`^${prefix}_(?:${FIELDS.join('|')})_(\\d{1,2})$`);
  for (const key of Object.keys(f)) {
    const m = re.exec(key);
    if (m && Number(m[1]) < MAX_ROWS) seen.add(Number(m[1]));
  }
  return [...seen].sort((a, b) => a - b).filter((i) => text(f[`${prefix}_prop_${i}`]) !== '');
}

/** Filled rows renumbered from 0 and a spare kept, so an issue about condition N lands on the N-th row. */
export function tidyRows(prefix: string, f: Rows, minRows: number): Rows {
  const rows = filled(prefix, f);
  const out: Rows = Object.fromEntries(Object.entries(f).filter(([k]) => !k.startsWith(`${prefix}_`)));
  rows.forEach((row, i) => {
    for (const k of FIELDS) out[`${prefix}_${k}_${i}`] = shown(f[`${prefix}_${k}_${row}`]);
  });
  out[`${prefix}_rows`] = String(Math.max(minRows, rows.length + 1));
  return out;
}

export function conditionsOf(prefix: string, f: Rows, fixedSource?: 'profile' | 'event'): Array<{ path: string; op: string; value: unknown }> {
  return filled(prefix, f).map((i) => {
    const op = text(f[`${prefix}_op_${i}`]) || 'eq';
    return { path: pathOf(fixedSource ?? text(f[`${prefix}_source_${i}`]), text(f[`${prefix}_prop_${i}`])), op, value: op === 'exists' ? undefined : typed(f[`${prefix}_value_${i}`]) };
  });
}

/** Maps "where.2.path" style issue paths onto the builder's fields. */
export function conditionField(prefix: string, rest: string): string {
  const m = /^(\d+)\.(path|op|value)/.exec(rest);
  if (m) return `${prefix}_${m[2] === 'path' ? 'prop' : m[2]}_${m[1]}`;
  return `${prefix}_prop_${/^(\d+)/.exec(rest)?.[1] ?? 0}`;
}
