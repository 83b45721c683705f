// Parked webhook deliveries of one store in the support console: what the platform signed and we
// could not read, with the reason, and a replay for admins once the code is fixed. A parked body
// names shoppers, so each showing is recorded in the audit log before the page is sent.
import type { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../../runtime.ts';
import { StoreId } from '../../model/ids.ts';
import { ProblemError } from '../problem.ts';
import { recordView } from '../../support/audit.ts';
import { storeOverview } from '../../support/store-overview.ts';
import { parkedDeliveries } from '../../support/parked-deliveries.ts';
import { describeReplay, replayDeliveries } from '../../jobs/replay-deliveries.ts';
import { render } from './views.ts';
import { requireAdmin, type StaffLocals } from './page-locals.ts';

const ReplayForm = z.object({ id: z.union([z.literal('all'), z.coerce.number().int().positive()]) });

export function supportDeliveryPages(r: Router, ctx: AppContext): void {
  const storeOf = async (raw: unknown) => {
    const id = StoreId.safeParse(raw);
    const overview = id.success ? await storeOverview(ctx.db.pool, id.data) : undefined;
    if (!overview) throw new ProblemError(404, 'No such store.');
    return overview.store;
  };

  r.get('/stores/:id/deliveries', async (req, res) => {
    const store = await storeOf(req.params.id);
    const staff = (res.locals as StaffLocals).staff;
    const parked = await parkedDeliveries({ pool: ctx.db.pool }, store.id);
    await recordView(ctx.db.pool, { actor: staff.email, storeId: store.id, what: 'parked deliveries', records: parked.map((p) => `delivery ${p.id}`) });
    await render(res, 'support/deliveries', {
      title: `Parked deliveries · ${store.domain}`,
      nav: 'stores',
      store,
      parked,
      isAdmin: staff.role === 'admin',
      notice: typeof req.query.done === 'string' ? req.query.done.slice(0, 300) : null,
    });
  });

  r.post('/stores/:id/deliveries/replay', requireAdmin, async (req, res) => {
    const store = await storeOf(req.params.id);
    const form = ReplayForm.safeParse(req.body);
    if (!form.success) throw new ProblemError(422, 'Name a delivery to replay, or all.');
    const result = await replayDeliveries(ctx, { storeId: store.id, ids: form.data.id === 'all' ? null : [form.data.id], actor: (res.locals as StaffLocals).staff.email });
    res.redirect(303, `/support/stores/${store.id}/deliveries?done=${encodeURIComponent(describeReplay(result))}`);
  });
}
