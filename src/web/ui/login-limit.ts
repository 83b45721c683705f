// Login throttle: per client address and account, so one attacker cannot lock out everyone
// and cannot try many passwords against one account either. Counted in Postgres, so the limit
// holds across web processes rather than per process.
import type { RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { Queryable } from '../../db/pool.ts';
import { postgresRateLimitStore } from '../rate-limit-store.ts';

export const LOGIN_ATTEMPTS_PER_WINDOW = 10;
const WINDOW_MS = 15 * 60_000;

/** `scope` keeps each sign-in page's counts apart (the merchant app's from the support console's). */
export function loginLimiter(db: Queryable, scope: string, onLimit: RequestHandler): RequestHandler {
  return rateLimit({
    windowMs: WINDOW_MS,
    limit: LOGIN_ATTEMPTS_PER_WINDOW,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    skipSuccessfulRequests: true,
    store: postgresRateLimitStore(db, `login:${scope}:`, WINDOW_MS),
    keyGenerator: (req) => {
      const email = typeof (req.body as { email?: unknown })?.email === 'string' ? (req.body as { email: string }).email.trim().toLowerCase() : '';
      return `${ipKeyGenerator(req.ip ?? '')}|${email}`;
    },
    handler: onLimit,
  });
}
