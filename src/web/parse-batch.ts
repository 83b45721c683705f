import type { z } from 'zod';
import { ProblemError, type FieldError } from './problem.ts';
import { unstorable } from '../util/storable-json.ts';

export { MAX_DEPTH, unstorable } from '../util/storable-json.ts';

export const MAX_BATCH = 1000;

function issuePath(path: PropertyKey[]): string {
  return path.map(String).join('.') || '(item)';
}

/**
 * Parses `{ [key]: [...] }` item by item. Over MAX_BATCH items → 413; any invalid item → 422
 * naming each by index and field. Nothing is returned (or stored) unless every item is valid.
 */
export function parseBatch<S extends z.ZodType>(body: unknown, key: string, item: S): Array<z.output<S>> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ProblemError(422, `The body must be a JSON object with an "${key}" array.`, {
      errors: [{ index: null, path: key, message: 'required' }],
    });
  }
  const list = (body as Record<string, unknown>)[key];
  if (!Array.isArray(list)) {
    throw new ProblemError(422, `"${key}" must be an array.`, { errors: [{ index: null, path: key, message: 'must be an array' }] });
  }
  if (list.length > MAX_BATCH) {
    throw new ProblemError(413, `A call takes at most ${MAX_BATCH} ${key}; this one has ${list.length}. Split it into smaller calls.`, {
      slug: 'batch-too-large',
    });
  }
  const out: Array<z.output<S>> = [];
  const errors: FieldError[] = [];
  for (const [index, raw] of list.entries()) {
    const r = item.safeParse(raw);
    const problems = problemsOf(r, index);
    if (r.success && problems.length === 0) out.push(r.data);
    else errors.push(...problems);
  }
  if (errors.length > 0) {
    const bad = new Set(errors.map((e) => e.index)).size;
    throw new ProblemError(422, `${bad} of ${list.length} ${key} are invalid; nothing from this call was stored.`, {
      errors: errors.slice(0, 1000),
    });
  }
  return out;
}

/** Every problem with a parse result: zod's issues, or a value the database would refuse. */
function problemsOf<T>(r: z.ZodSafeParseResult<T>, index: number | null): FieldError[] {
  if (!r.success) return r.error.issues.map((i) => ({ index, path: issuePath(i.path), message: i.message }));
  const bad = unstorable(r.data);
  return bad ? [{ index, path: issuePath(bad.path), message: bad.message }] : [];
}

/** Parses query parameters; a bad one is a 400 naming the parameter. */
export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.output<S> {
  const r = schema.safeParse(query);
  const errors = problemsOf(r, null);
  if (r.success && errors.length === 0) return r.data;
  throw new ProblemError(400, 'Invalid query parameters.', { slug: 'bad-query', errors });
}

/** Parses one JSON body; an invalid one is a 422 naming each field. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const r = schema.safeParse(body);
  const errors = problemsOf(r, null);
  if (r.success && errors.length === 0) return r.data;
  throw new ProblemError(422, 'The request body is invalid.', { errors });
}
