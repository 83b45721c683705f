// Synchronizer-token CSRF check for every state-changing request of the browser side: the
// form's _csrf field (or an X-CSRF-Token header) must equal the token kept in the session.
import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { SessionLocals } from './session.ts';

export class CsrfError extends Error {
  override name = 'CsrfError';
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function requireCsrf(req: Request, res: Response, next: NextFunction): void {
  if (SAFE.has(req.method)) return next();
  const session = (res.locals as SessionLocals).session;
  const body = req.body as Record<string, unknown> | undefined;
  const given = typeof body?._csrf === 'string' ? body._csrf : req.get('x-csrf-token');
  if (!session || !given || !sameToken(given, session.csrfToken)) {
    return next(new CsrfError('This form has expired or did not come from this site. Go back, reload the page and try again.'));
  }
  next();
}
