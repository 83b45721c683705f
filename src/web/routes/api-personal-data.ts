// GET /api/v1/personal-data-exports and /:id: the answers to privacy-law data requests
// (Shopify's customers/data_request), for the merchant to hand over within the retention window.
import { Router } from 'express';
import type { AppContext } from '../../runtime.ts';
import type { AuthedLocals } from '../auth-private-key.ts';
import { listExports, readExport } from '../../merchant/personal-data-exports.ts';
import { ProblemError } from '../problem.ts';

export function personalDataRoutes(ctx: AppContext): Router {
  const r = Router();
  const days = ctx.config.personalDataExportRetentionDays;
  r.get('/personal-data-exports', async (_req, res) => {
    const { store } = res.locals as AuthedLocals;
    res.set('Cache-Control', 'no-store');
    res.json({ data: await listExports(ctx.db.pool, store.id, days), retentionDays: days });
  });
  r.get('/personal-data-exports/:id', async (req, res) => {
    const { store } = res.locals as AuthedLocals;
    const doc = await readExport(ctx.db.pool, store.id, String(req.params.id).slice(0, 200), days);
    if (!doc) throw new ProblemError(404, `No data export ${req.params.id}: it was never requested, or it is past its ${days}-day retention.`);
    res.set('Cache-Control', 'no-store');
    res.json(doc);
  });
  return r;
}
