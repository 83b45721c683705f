// The segment builder in the merchant's words: rows of "has done <metric> at least N times in the
// last D days", "has not done <metric> in the last D days", "<metric> value, summed over D days, at
// least X" (spend, in the store's currency) and "<profile property> <operator> <value>". The stored
// definition is src/flows/segments.ts's; merchants never see a path or an ISO duration.
import { z } from 'zod';
import { Metrics } from '../model/event.ts';
import { SegmentDefinition } from '../flows/segments.ts';
import { OPERATORS } from './form-units.ts';
import { pathOf, splitPath } from './condition-form.ts';
import { formatMoney, type Locale } from './store-locale.ts';

export const CONDITION_KINDS = [
  { value: 'did', label: 'has done' },
  { value: 'didnot', label: 'has not done' },
  { value: 'spent', label: 'has a summed value of' },
  { value: 'profile', label: 'has a profile property' },
] as const;

/** Spend on orders is net of what came back: the same metrics the VIP preset takes off. */
const LESS: Record<string, string[]> = { [Metrics.placedOrder]: [Metrics.refundedOrder, Metrics.cancelledOrder] };

const MAX_ROWS = 20;
export type SegmentForm = Record<string, string>;
type Errors = Record<string, string>;

const text = (v: unknown): string => (typeof v === 'string' ? v.trim() : Array.isArray(v) ? text(v[v.length - 1]) : '');

function typed(s: string): unknown {
  if (s === '') return undefined;
  if (s === 'true' || s === 'false') return s === 'true';
  return /^-?\d+(\.\d+)?$/.test(s) ? Number(s) : s;
}

const wholeDays = (s: string) => (/^\d{1,4}$/.test(s) && Number(s) >= 1 && Number(s) <= 3650 ? Number(s) : undefined);

/** What a new segment's form starts with: the spend row filled in as the VIP preset would be. */
export function blankForm(): SegmentForm {
  return { name: '', s_rows: '2', s_kind_0: 'spent', s_metric_0: Metrics.placedOrder, s_days_0: '365', s_amount_0: '', s_count_0: '1', s_op_0: 'eq' };
}

/** Rows with a kind picked and something to test, renumbered from 0, plus a spare row. */
export function tidyForm(body: Record<string, unknown>): SegmentForm {
  const out: SegmentForm = { name: text(body.name) };
  const rows: number[] = [];
  for (let i = 0; i < MAX_ROWS; i++) if (text(body[`s_kind_${i}`]) && (text(body[`s_metric_${i}`]) || text(body[`s_prop_${i}`]))) rows.push(i);
  rows.forEach((row, i) => {
    for (const f of ['kind', 'metric', 'count', 'days', 'amount', 'prop', 'op', 'value']) out[`s_${f}_${i}`] = text(body[`s_${f}_${row}`]);
  });
  out.s_rows = String(Math.min(MAX_ROWS, rows.length + 1));
  return out;
}

export function definitionOf(form: SegmentForm): { ok: true; definition: SegmentDefinition } | { ok: false; errors: Errors } {
  const errors: Errors = {};
  const conditions: unknown[] = [];
  const rows = Number(form.s_rows ?? 0);
  for (let i = 0; i < rows; i++) {
    const kind = form[`s_kind_${i}`] ?? '';
    const metric = form[`s_metric_${i}`] ?? '';
    if (!kind || (!metric && !form[`s_prop_${i}`])) continue;
    const days = wholeDays(form[`s_days_${i}`] ?? '');
    if (kind === 'profile') {
      const prop = form[`s_prop_${i}`] ?? '';
      if (!prop) { errors[`s_prop_${i}`] = 'choose a profile property'; continue; }
      const op = OPERATORS.some((o) => o.value === form[`s_op_${i}`]) ? form[`s_op_${i}`]! : 'eq';
      const value = typed(form[`s_value_${i}`] ?? '');
      if (op !== 'exists' && value === undefined) { errors[`s_value_${i}`] = 'enter the value to compare with'; continue; }
      conditions.push({ path: pathOf('profile', prop), op, ...(op === 'exists' ? {} : { value }) });
      continue;
    }
    if (!metric) { errors[`s_metric_${i}`] = 'choose what the shopper did'; continue; }
    if (days === undefined) { errors[`s_days_${i}`] = 'enter a number of days from 1 to 3650'; continue; }
    const within = `P${days}D`;
    if (kind === 'spent') {
      const amount = form[`s_amount_${i}`] ?? '';
      if (!/^\d{1,12}(\.\d{1,2})?$/.test(amount)) { errors[`s_amount_${i}`] = 'enter an amount such as 500 or 499.99'; continue; }
      conditions.push({ metric, within, valueAtLeast: Number(amount), less: LESS[metric] ?? [] });
    } else if (kind === 'didnot') {
      conditions.push({ metric, within, atLeast: 0, atMost: 0 });
    } else {
      const count = form[`s_count_${i}`] ?? '1';
      if (!/^\d{1,6}$/.test(count) || Number(count) < 1) { errors[`s_count_${i}`] = 'enter how many times, 1 or more'; continue; }
      conditions.push({ metric, within, atLeast: Number(count) });
    }
  }
  const name = form.name ?? '';
  if (!name) errors.name = 'enter a name for the segment, such as “Big spenders”';
  else if (name.length > 255) errors.name = 'a segment name is at most 255 characters';
  if (conditions.length === 0 && Object.keys(errors).every((k) => k === 'name')) errors.s_kind_0 = 'add at least one condition';
  if (Object.keys(errors).length) return { ok: false, errors };
  const parsed = SegmentDefinition.safeParse({ name, conditions });
  if (!parsed.success) return { ok: false, errors: { s_kind_0: 'these conditions cannot be saved; check each row' } };
  return { ok: true, definition: parsed.data };
}

const days = (iso: string) => {
  const n = Number(/^P(\d+)D$/.exec(iso)?.[1] ?? NaN);
  return Number.isFinite(n) ? `${n} ${n === 1 ? 'day' : 'days'}` : iso;
};

/** One condition as a sentence: "Placed Order value, summed over 365 days, at least €500.00". */
export function describeCondition(c: SegmentDefinition['conditions'][number], locale: Pick<Locale, 'currency'>): string {
  if ('valueAtLeast' in c && c.valueAtLeast !== undefined) {
    const net = 'less' in c && c.less?.length ? `, net of ${c.less.join(' and ')}` : '';
    return `${c.metric} value, summed over ${days(c.within)}, at least ${formatMoney(c.valueAtLeast, locale)}${net}`;
  }
  if ('metric' in c) {
    if (c.atMost === 0) return `has not done ${c.metric} in the last ${days(c.within)}`;
    return `has done ${c.metric} at least ${c.atLeast} ${c.atLeast === 1 ? 'time' : 'times'} in the last ${days(c.within)}`;
  }
  const { prop } = splitPath(c.path);
  const op = OPERATORS.find((o) => o.value === c.op)?.label ?? c.op;
  return `profile ${prop} ${op}${c.op === 'exists' ? '' : ` ${typeof c.value === 'string' ? `“${c.value}”` : String(c.value)}`}`;
}

export const SegmentIdParam = z.uuid();
