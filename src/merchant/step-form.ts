// One step as a plain form and back. The form is flat (one input per setting); the flow
// service validates what comes out, and its issues are mapped back onto these field names.
import type { Step } from '../flows/definition.ts';
import type { FlowIssue } from '../flows/validate-flow.ts';
import { amountOf, isoOf, plainMessage } from './form-units.ts';
import { conditionsOf, rowsOf, tidyRows } from './condition-form.ts';

export type StepForm = Record<string, string | string[]>;

const str = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v));
const opt = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);


const num = (v: unknown): number | string => {
  const s = typeof v === 'string' ? v.trim() : '';
  return s !== '' && Number.isFinite(Number(s)) ? Number(s) : s;
};

/** Condition rows a trigger split's form shows at least. */
const TRIGGER_SPLIT_ROWS = 3;

/**
 * A submitted form made tidy before it is read or shown again: a trigger split's filled condition
 * rows are renumbered from 0 (empty ones dropped, one spare kept), so an engine issue about
 * where.N lands on the row the user sees as the N-th.
 */
export function tidyStepForm(type: string, f: StepForm): StepForm {
  return type === 'trigger-split' ? tidyRows('where', f, TRIGGER_SPLIT_ROWS) : f;
}

export function formOfStep(step: Step): StepForm {
  const f: StepForm = { id: step.id, type: step.type };
  switch (step.type) {
    case 'email': return { ...f, subject: step.subject, html: step.html, next: str(step.next) };
    case 'sms': return { ...f, text: step.text, next: str(step.next) };
    case 'webhook': return { ...f, url: step.url, next: str(step.next) };
    case 'delay': {
      const d = amountOf(step.duration);
      return { ...f, delay_kind: step.until ? 'until' : 'for', duration_amount: d.amount, duration_unit: d.unit, until_time: str(step.until?.time), until_weekdays: step.until?.weekdays ?? [], next: str(step.next) };
    }
    case 'split': {
      const c = step.condition;
      if ('metric' in c) {
        const since = c.since === 'entry' ? { amount: '', unit: 'days' } : amountOf(c.since);
        return { ...f, cond_kind: 'metric', cond_metric: c.metric, cond_since_amount: since.amount, cond_since_unit: since.unit, cond_atLeast: String(c.atLeast), ...rowsOf('cond', [], 1), yes: str(step.yes), no: str(step.no) };
      }
      return { ...f, cond_kind: 'path', cond_metric: '', cond_since_amount: '', cond_since_unit: 'days', cond_atLeast: '1', ...rowsOf('cond', [c], 1), cond_rows: '1', yes: str(step.yes), no: str(step.no) };
    }
    // Every condition gets its row (and a spare one to add another), so saving never drops one.
    case 'trigger-split': return { ...f, ...rowsOf('where', step.where, TRIGGER_SPLIT_ROWS), yes: str(step.yes), no: str(step.no) };
    case 'wait-for': {
      const t = amountOf(step.timeout);
      return { ...f, metric: step.metric, timeout_amount: t.amount, timeout_unit: t.unit, onEvent: str(step.onEvent), onTimeout: str(step.onTimeout) };
    }
    case 'ab': {
      const out: StepForm = { ...f };
      for (let i = 0; i < 3; i++) {
        out[`branch_weight_${i}`] = step.branches[i] ? String(step.branches[i]!.weight) : '';
        out[`branch_next_${i}`] = str(step.branches[i]?.next);
      }
      return out;
    }
    case 'update-profile': return { ...f, set: JSON.stringify(step.set, null, 2), next: str(step.next) };
    case 'exit': return f;
  }
}

/** The step a submitted form describes (unvalidated), or a field error when the form cannot say. */
export function stepOfForm(type: string, f: StepForm): { step: unknown } | { field: string; message: string } {
  const base = { id: str(f.id).trim(), type };
  const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : v ? [String(v)] : []);
  switch (type) {
    case 'email': return { step: { ...base, subject: str(f.subject), html: str(f.html), next: opt(f.next) } };
    case 'sms': return { step: { ...base, text: str(f.text), next: opt(f.next) } };
    case 'webhook': return { step: { ...base, url: str(f.url).trim(), next: opt(f.next) } };
    case 'delay': {
      const weekdays = list(f.until_weekdays);
      if (f.delay_kind === 'until' && !opt(f.until_time)) return { field: 'until_time', message: 'choose the time of day to wait until' };
      const until = f.delay_kind === 'until' ? { time: opt(f.until_time), ...(weekdays.length ? { weekdays } : {}) } : undefined;
      const duration = f.delay_kind === 'until' ? undefined : isoOf(f.duration_amount, f.duration_unit);
      if (f.delay_kind !== 'until' && !duration) return { field: 'duration_amount', message: 'enter how long to wait: a whole number above 0, and a unit' };
      return { step: { ...base, duration, until, next: opt(f.next) } };
    }
    case 'split':
      return {
        step: {
          ...base,
          condition: f.cond_kind === 'path'
            ? (conditionsOf('cond', f)[0] ?? { path: '', op: 'eq' })
            : { metric: str(f.cond_metric).trim(), since: isoOf(f.cond_since_amount, f.cond_since_unit) ?? 'entry', atLeast: num(f.cond_atLeast || '1') },
          yes: opt(f.yes),
          no: opt(f.no),
        },
      };
    // Rows left empty are not conditions; the numbering of what remains follows the form's.
    case 'trigger-split': return { step: { ...base, where: conditionsOf('where', f, 'event'), yes: opt(f.yes), no: opt(f.no) } };
    case 'wait-for': {
      const timeout = isoOf(f.timeout_amount, f.timeout_unit);
      if (!timeout) return { field: 'timeout_amount', message: 'enter how long to wait for it: a whole number above 0, and a unit' };
      return { step: { ...base, metric: str(f.metric).trim(), timeout, onEvent: opt(f.onEvent), onTimeout: opt(f.onTimeout) } };
    }
    case 'ab': {
      const branches = [0, 1, 2]
        .filter((i) => opt(f[`branch_weight_${i}`]) !== undefined || opt(f[`branch_next_${i}`]) !== undefined)
        .map((i) => ({ weight: num(f[`branch_weight_${i}`]), next: opt(f[`branch_next_${i}`]) }));
      return { step: { ...base, branches } };
    }
    case 'update-profile': {
      try {
        const set = JSON.parse(str(f.set) || '{}') as unknown;
        if (!set || typeof set !== 'object' || Array.isArray(set)) return { field: 'set', message: 'write a JSON object such as {"vip": true}' };
        return { step: { ...base, set, next: opt(f.next) } };
      } catch {
        return { field: 'set', message: 'this is not valid JSON; write an object such as {"vip": true}' };
      }
    }
    case 'exit': return { step: base };
    default: return { field: 'type', message: 'unknown step type' };
  }
}

const FIELD_BY_SUFFIX: Array<[RegExp, string]> = [
  [/^condition\.metric/, 'cond_metric'], [/^condition\.since/, 'cond_since_amount'], [/^condition\.atLeast/, 'cond_atLeast'],
  [/^condition\.path/, 'cond_prop_0'], [/^condition\.op/, 'cond_op_0'], [/^condition\.value/, 'cond_value_0'], [/^condition(\.|$)/, 'cond_metric'],
  [/^where\.(\d+)\.path/, 'where_prop_$1'], [/^where\.(\d+)\.op/, 'where_op_$1'], [/^where\.(\d+)\.value/, 'where_value_$1'], [/^where/, 'where_prop_0'],
  [/^duration/, 'duration_amount'], [/^timeout/, 'timeout_amount'],
  [/^until\.time/, 'until_time'], [/^until\.weekdays/, 'until_weekdays'], [/^branches\.(\d+)\.weight/, 'branch_weight_$1'], [/^branches\.(\d+)\.next/, 'branch_next_$1'],
  [/^branches/, 'branch_weight_0'],
];

/** The engine's issues as field errors for the step at `index`, the rest as page-level messages naming their step. */
export function issuesForStep(issues: FlowIssue[], index: number, stepId: string): { fields: Record<string, string>; other: string[] } {
  const fields: Record<string, string> = {};
  const other: string[] = [];
  for (const issue of issues) {
    const m = /^steps\.(\d+)(?:\.(.*))?$/.exec(issue.path);
    if (m && Number(m[1]) === index) {
      const rest = m[2] ?? '';
      const pair = FIELD_BY_SUFFIX.find(([re]) => re.test(rest));
      const field = pair ? rest.replace(pair[0], pair[1]).replace(/\..*$/, '') : rest.split('.')[0] || '_step';
      const message = plainMessage(issue.message.replace(`step "${stepId}" `, ''));
      fields[field === '' ? '_step' : field] ??= message;
    } else other.push(issue.stepId && !issue.stepId.startsWith('#') ? `Step “${issue.stepId}”: ${issue.message}` : issue.message);
  }
  return { fields, other };
}
