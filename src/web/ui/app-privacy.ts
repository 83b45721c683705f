// Privacy requests in the merchant app: the data exports a platform asked for (Shopify's
// customers/data_request), each downloadable as JSON until its retention runs out.
import type { Router } from 'express';
import type { AppContext } from '../../runtime.ts';
import { listExports, readExport } from '../../merchant/personal-data-exports.ts';
import { ProblemError } from '../problem.ts';
import { render } from './views.ts';
import type { MerchantLocals } from './page-locals.ts';

export function appPrivacyPages(r: Router, ctx: AppContext): void {
  const days = ctx.config.personalDataExportRetentionDays;
  r.get('/privacy', async (_req, res) => {
    const { store } = res.locals as MerchantLocals;
    res.set('Cache-Control', 'no-store');
    await render(res, 'app/privacy', { title: 'Privacy requests', nav: 'privacy', exports: await listExports(ctx.db.pool, store.id, days), days });
  });
  r.get('/privacy/exports/:id', async (req, res) => {
    const { store } = res.locals as MerchantLocals;
    const doc = await readExport(ctx.db.pool, store.id, String(req.params.id).slice(0, 200), days);
    if (!doc) throw new ProblemError(404, `That data export is not here: it was never requested, or it is past its ${days}-day retention.`);
    res.set('Cache-Control', 'no-store');
    res.attachment(`personal-data-${doc.id.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`);
    res.type('application/json').send(JSON.stringify(doc, null, 2));
  });
}
