// The per-store call budget of the private-key APIs. /api/v1 and the Klaviyo-compatible paths
// count against the same budget (same store key prefix), each refusing in its own error shape.
import type { Request, RequestHandler, Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { AuthedLocals } from './auth-private-key.ts';
import type { AppContext } from '../runtime.ts';
import { postgresRateLimitStore } from './rate-limit-store.ts';

export function privateApiRateLimit(ctx: AppContext, refuse: (req: Request, res: Response, detail: string) => void): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: ctx.config.apiRateLimit,
    store: postgresRateLimitStore(ctx.db.pool, 'api:', 60_000),
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (_req, res) => (res.locals as AuthedLocals).store.id,
    handler: (req, res) => refuse(req, res, `More than ${ctx.config.apiRateLimit} calls a minute with this key; retry after the RateLimit-Reset seconds.`),
  });
}
