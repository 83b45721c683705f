// The support audit log in the console, for admins only: every entry, or one store's, newest
// first, a page at a time. Viewers get 403: the log says who looked at which shopper.
import type { Response, Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../../runtime.ts';
import { StoreId } from '../../model/ids.ts';
import { ProblemError } from '../problem.ts';
import { auditPage } from '../../support/audit.ts';
import { storeOverview } from '../../support/store-overview.ts';
import { render } from './views.ts';
import { requireAdmin } from './page-locals.ts';

const PageQuery = z.object({ before: z.coerce.number().int().positive().optional() });

const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v, null, 2));

export function supportAuditPages(r: Router, ctx: AppContext): void {
  const show = async (res: Response, base: string, query: unknown, store?: { id: StoreId; domain: string }) => {
    const q = PageQuery.safeParse(query);
    if (!q.success) throw new ProblemError(404, 'No such page of the audit log.');
    const page = await auditPage(ctx.db.pool, { storeId: store?.id, beforeId: q.data.before });
    const entries = page.entries.map((e) => ({ ...e, beforeJson: json(e.before), afterJson: json(e.after) }));
    const olderUrl = page.olderThan === undefined ? null : `${base}?before=${page.olderThan}`;
    await render(res, 'support/audit', { title: store ? `Audit · ${store.domain}` : 'Audit log', nav: 'audit', store: store ?? null, entries, olderUrl, paged: q.data.before !== undefined, base });
  };

  r.get('/audit', requireAdmin, async (req, res) => show(res, '/support/audit', req.query));

  r.get('/stores/:id/audit', requireAdmin, async (req, res) => {
    const id = StoreId.safeParse(req.params.id);
    const overview = id.success ? await storeOverview(ctx.db.pool, id.data) : undefined;
    if (!overview) throw new ProblemError(404, 'No such store.');
    await show(res, `/support/stores/${overview.store.id}/audit`, req.query, overview.store);
  });
}
