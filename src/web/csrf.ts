// Synchronizer-token CSRF check for every state-changing request of the browser side: the
// form's _csrf field (or an X-CSRF-Token header) must equal the token kept in the session.
// Sessions started inside a platform admin's iframe send their cookie cross-site
// (SameSite=None), so for them this check is the whole defence, not a second layer.
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
  // A platform session token travels in the Authorization header, which a browser never adds to
  // a cross-site request on its own, so a request proven by one cannot be a forgery.
  if ((res.locals as SessionLocals).viaBearer) return next();
  const session = (res.locals as SessionLocals).session;
  const body = req.body as Record<string, unknown> | undefined;
  const given = typeof body?._csrf === 'string' ? body._csrf : req.get('x-csrf-token');
  if (!session || !given || !sameToken(given, session.csrfToken)) {
    return next(new CsrfError('This form has expired or did not come from this site. Go back, reload the page and try again.'));
  }
  next();
}
