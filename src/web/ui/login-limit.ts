// Login throttle: per client address and account, so one attacker cannot lock out everyone
// and cannot try many passwords against one account either. Counted in Postgres, so the limit
// holds across web processes rather than per process.
import type { RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit, type Store } from 'express-rate-limit';
import type { Queryable } from '../../db/pool.ts';
import { decrementHits, incrementHits, resetHits } from '../../db/repositories/rate-limits.ts';

export const LOGIN_ATTEMPTS_PER_WINDOW = 10;
const WINDOW_MS = 15 * 60_000;

function postgresStore(db: Queryable, prefix: string): Store {
  return {
    prefix,
    localKeys: false,
    increment: (key) => incrementHits(db, prefix + key, WINDOW_MS),
    decrement: (key) => decrementHits(db, prefix + key),
    resetKey: (key) => resetHits(db, prefix + key),
  };
}

/** `scope` keeps each sign-in page's counts apart (the merchant app's from the support console's). */
export function loginLimiter(db: Queryable, scope: string, onLimit: RequestHandler): RequestHandler {
  return rateLimit({
    windowMs: WINDOW_MS,
    limit: LOGIN_ATTEMPTS_PER_WINDOW,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    skipSuccessfulRequests: true,
    store: postgresStore(db, `login:${scope}:`),
    keyGenerator: (req) => {
      const email = typeof (req.body as { email?: unknown })?.email === 'string' ? (req.body as { email: string }).email.trim().toLowerCase() : '';
      return `${ipKeyGenerator(req.ip ?? '')}|${email}`;
    },
    handler: onLimit,
  });
}
