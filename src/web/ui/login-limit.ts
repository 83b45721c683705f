// Login throttle, counted two ways at once: per account (whatever address the guesses come from,
// so spreading them over many addresses buys nothing) and per client address (so one address
// cannot try a few passwords against every account). Both run before the password is checked, so
// a refused attempt costs no hashing. Counted in Postgres, so the limits hold across web
// processes. Only failed attempts count: a successful sign-in gives its attempt back.
import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { postgresRateLimitStore, type RateLimitDb } from '../rate-limit-store.ts';

/** Failed sign-ins one account may take in a window, from any number of addresses. */
export const LOGIN_ATTEMPTS_PER_WINDOW = 10;
/** Failed sign-ins one client address may make in a window, over any number of accounts. */
export const LOGIN_ATTEMPTS_PER_ADDRESS = 30;
const WINDOW_MS = 15 * 60_000;

export function accountOf(req: Request): string {
  const email = (req.body as { email?: unknown } | undefined)?.email;
  return typeof email === 'string' ? email.trim().toLowerCase() : '';
}

function limiter(db: RateLimitDb, prefix: string, limit: number, key: (req: Request) => string, onLimit: RequestHandler): RequestHandler {
  return rateLimit({
    windowMs: WINDOW_MS,
    limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    skipSuccessfulRequests: true,
    store: postgresRateLimitStore(db, prefix, WINDOW_MS),
    keyGenerator: key,
    handler: onLimit,
  });
}

/**
 * `scope` keeps each sign-in page's counts apart (the merchant app's from the support console's).
 * The client address is req.ip, which honours TRUST_PROXY (express's `trust proxy`).
 */
export function loginLimiter(db: RateLimitDb, scope: string, onLimit: RequestHandler): RequestHandler[] {
  return [
    limiter(db, `login:${scope}:account:`, LOGIN_ATTEMPTS_PER_WINDOW, accountOf, onLimit),
    limiter(db, `login:${scope}:address:`, LOGIN_ATTEMPTS_PER_ADDRESS, (req) => ipKeyGenerator(req.ip ?? ''), onLimit),
  ];
}
