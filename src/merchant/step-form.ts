// One step as a plain form and back. The form is flat (one input per setting); the flow
// service validates what comes out, and its issues are mapped back onto these field names.
import type { Step } from '../flows/definition.ts';
import type { FlowIssue } from '../flows/validate-flow.ts';

export type StepForm = Record<string, string | string[]>;

const str = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v));
const opt = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/** A typed value: numbers, true/false, null and JSON stay typed; anything else is text. */
function loose(v: unknown): unknown {
  const s = typeof v === 'string' ? v.trim() : '';
  if (s === '') return undefined;
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

const num = (v: unknown): number | string => {
  const s = typeof v === 'string' ? v.trim() : '';
  return s !== '' && Number.isFinite(Number(s)) ? Number(s) : s;
};

/** Condition rows a trigger split's form shows at least. */
const TRIGGER_SPLIT_ROWS = 3;
const MAX_WHERE_ROWS = 50;
const WHERE_FIELDS = ['path', 'op', 'value'] as const;

/** The indexes of the condition rows a submitted form carries with something typed in, in order. */
function filledWhereRows(f: StepForm): number[] {
  const seen = new Set<number>();
  for (const key of Object.keys(f)) {
    const m = /^where_(?:path|op|value)_(\d{1,2})$/.exec(key);
    if (m && Number(m[1]) < MAX_WHERE_ROWS) seen.add(Number(m[1]));
  }
  return [...seen].sort((a, b) => a - b).filter((i) => WHERE_FIELDS.some((k) => opt(f[`where_${k}_${i}`]) !== undefined));
}

/**
 * A submitted form made tidy before it is read or shown again: a trigger split's filled condition
 * rows are renumbered from 0 (empty ones dropped, one spare kept), so an engine issue about
 * where.N lands on the row the user sees as the N-th.
 */
export function tidyStepForm(type: string, f: StepForm): StepForm {
  if (type !== 'trigger-split') return f;
  const filled = filledWhereRows(f);
  const out: StepForm = Object.fromEntries(Object.entries(f).filter(([k]) => !/^where_/.test(k)));
  filled.forEach((row, i) => {
    for (const k of WHERE_FIELDS) out[`where_${k}_${i}`] = str(f[`where_${k}_${row}`]);
  });
  out.where_rows = String(Math.max(TRIGGER_SPLIT_ROWS, filled.length + 1));
  return out;
}

export function formOfStep(step: Step): StepForm {
  const f: StepForm = { id: step.id, type: step.type };
  switch (step.type) {
    case 'email': return { ...f, subject: step.subject, html: step.html, next: str(step.next) };
    case 'sms': return { ...f, text: step.text, next: str(step.next) };
    case 'webhook': return { ...f, url: step.url, next: str(step.next) };
    case 'delay': return { ...f, duration: str(step.duration), until_time: str(step.until?.time), until_weekdays: step.until?.weekdays ?? [], next: str(step.next) };
    case 'split': {
      const c = step.condition;
      return 'metric' in c
        ? { ...f, cond_kind: 'metric', cond_metric: c.metric, cond_since: c.since, cond_atLeast: String(c.atLeast), yes: str(step.yes), no: str(step.no) }
        : { ...f, cond_kind: 'path', cond_path: c.path, cond_op: c.op, cond_value: str(c.value), yes: str(step.yes), no: str(step.no) };
    }
    case 'trigger-split': {
      // Every condition gets its rows (and a spare one to add another), so saving the form never
      // drops a condition the flow already had.
      const out: StepForm = { ...f, where_rows: String(Math.max(TRIGGER_SPLIT_ROWS, step.where.length + 1)), yes: str(step.yes), no: str(step.no) };
      step.where.forEach((c, i) => {
        out[`where_path_${i}`] = c.path;
        out[`where_op_${i}`] = c.op;
        out[`where_value_${i}`] = str(c.value);
      });
      return out;
    }
    case 'wait-for': return { ...f, metric: step.metric, timeout: step.timeout, onEvent: str(step.onEvent), onTimeout: str(step.onTimeout) };
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
      const until = opt(f.until_time) ? { time: opt(f.until_time), ...(weekdays.length ? { weekdays } : {}) } : undefined;
      return { step: { ...base, duration: opt(f.duration), until, next: opt(f.next) } };
    }
    case 'split':
      return {
        step: {
          ...base,
          condition: f.cond_kind === 'path'
            ? { path: str(f.cond_path).trim(), op: str(f.cond_op), value: loose(f.cond_value) }
            : { metric: str(f.cond_metric).trim(), since: opt(f.cond_since) ?? 'entry', atLeast: num(f.cond_atLeast || '1') },
          yes: opt(f.yes),
          no: opt(f.no),
        },
      };
    case 'trigger-split': {
      // Rows left empty are not conditions; the numbering of what remains follows the form's.
      const where = filledWhereRows(f).map((i) => ({ path: str(f[`where_path_${i}`]).trim(), op: str(f[`where_op_${i}`]), value: loose(f[`where_value_${i}`]) }));
      return { step: { ...base, where, yes: opt(f.yes), no: opt(f.no) } };
    }
    case 'wait-for': return { step: { ...base, metric: str(f.metric).trim(), timeout: str(f.timeout).trim(), onEvent: opt(f.onEvent), onTimeout: opt(f.onTimeout) } };
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
  [/^condition\.metric/, 'cond_metric'], [/^condition\.since/, 'cond_since'], [/^condition\.atLeast/, 'cond_atLeast'],
  [/^condition\.path/, 'cond_path'], [/^condition\.op/, 'cond_op'], [/^condition(\.|$)/, 'cond_metric'],
  [/^where\.(\d+)\.path/, 'where_path_$1'], [/^where\.(\d+)\.op/, 'where_op_$1'], [/^where\.(\d+)\.value/, 'where_value_$1'], [/^where/, 'where_path_0'],
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
      const message = issue.message.replace(`step "${stepId}" `, '');
      fields[field === '' ? '_step' : field] ??= message;
    } else other.push(issue.stepId && !issue.stepId.startsWith('#') ? `Step “${issue.stepId}”: ${issue.message}` : issue.message);
  }
  return { fields, other };
}
