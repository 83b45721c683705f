import { ProblemError } from './problem.ts';

/** Opaque page cursors: callers pass back what we gave them and never build one. */
export function encodeCursor(lastId: string): string {
  return Buffer.from(JSON.stringify({ after: lastId })).toString('base64url');
}

export const UUID_CURSOR = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const NUMERIC_CURSOR = /^\d{1,18}$/;

export function decodeCursor(cursor: unknown, shape: RegExp): string | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(String(cursor), 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof parsed.after === 'string' && shape.test(parsed.after)) return parsed.after;
  } catch {
    // fall through to the refusal below
  }
  throw new ProblemError(400, 'The cursor is not one this API issued; pass back nextCursor unchanged.', { slug: 'bad-cursor' });
}

export function page<T>(rows: T[], limit: number, idOf: (row: T) => string): { data: T[]; nextCursor: string | null } {
  const data = rows.slice(0, limit);
  return { data, nextCursor: rows.length > limit ? encodeCursor(idOf(data[data.length - 1]!)) : null };
}
