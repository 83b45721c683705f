import { Router } from 'express';
import type { AppContext } from '../../runtime.ts';
import { sendProblem } from '../problem.ts';

/** Ready once migrations ran (the app only listens after they do) and the database answers. */
export function healthRoutes(ctx: AppContext): Router {
  const r = Router();
  r.get('/healthz', async (_req, res) => {
    try {
      await ctx.db.pool.query('SELECT 1 FROM schema_migrations LIMIT 1');
      res.json({ status: 'ok' });
    } catch {
      res.setHeader('Retry-After', '5');
      sendProblem(res, 503, 'The database is not answering.');
    }
  });
  return r;
}
