// What Postgres would refuse to store as text or jsonb, found before the insert so the caller can
// name the field instead of failing with a server error.

const NUL_MESSAGE = 'must not contain the NUL character (\\u0000)';

/** Deeper than any real property bag; Postgres refuses (stack depth) jsonb some thousands deep. */
export const MAX_DEPTH = 32;
const DEPTH_MESSAGE = `must not nest objects or arrays more than ${MAX_DEPTH} levels deep`;

/**
 * Values the database would refuse with a server error, found here so the field is named instead:
 * U+0000 (text and jsonb cannot hold it) and very deep nesting. Iterative and bounded by
 * MAX_DEPTH, so a hostile body costs time in proportion to its size, never its depth squared.
 */
export function unstorable(value: unknown): { path: PropertyKey[]; message: string } | undefined {
  const stack: Array<{ value: unknown; path: PropertyKey[] }> = [{ value, path: [] }];
  while (stack.length > 0) {
    const { value: v, path } = stack.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return { path, message: NUL_MESSAGE };
    } else if (Array.isArray(v) || (v !== null && typeof v === 'object' && !(v instanceof Date))) {
      if (path.length > MAX_DEPTH) return { path: path.slice(0, MAX_DEPTH), message: DEPTH_MESSAGE };
      for (const [k, x] of Array.isArray(v) ? v.entries() : Object.entries(v)) {
        if (typeof k === 'string' && k.includes('\u0000')) return { path, message: NUL_MESSAGE };
        stack.push({ value: x, path: [...path, k] });
      }
    }
  }
  return undefined;
}
