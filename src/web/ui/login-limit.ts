// Login throttle: per client address and account, so one attacker cannot lock out everyone
// and cannot try many passwords against one account either.
import type { RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';

export const LOGIN_ATTEMPTS_PER_WINDOW = 10;

export function loginLimiter(onLimit: RequestHandler): RequestHandler {
  return rateLimit({
    windowMs: 15 * 60_000,
    limit: LOGIN_ATTEMPTS_PER_WINDOW,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    skipSuccessfulRequests: true,
    keyGenerator: (req) => {
      const email = typeof (req.body as { email?: unknown })?.email === 'string' ? (req.body as { email: string }).email.trim().toLowerCase() : '';
      return `${ipKeyGenerator(req.ip ?? '')}|${email}`;
    },
    handler: onLimit,
  });
}
