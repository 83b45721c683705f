// Segments: the list with member counts, the condition builder, and one segment's members and
// its count day by day (a server-drawn SVG chart with the same numbers in a table).
import type { Response, Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../../runtime.ts';
import { decodeCursor, encodeCursor, UUID_CURSOR } from '../cursor.ts';
import { parseQuery } from '../parse-batch.ts';
import { blankForm, CONDITION_KINDS, describeCondition, tidyForm, type SegmentForm } from '../../merchant/segment-form.ts';
import { allSegments, countChart, createSegmentFromForm, deleteStoreSegment, segmentChoices, segmentPage } from '../../merchant/segment-pages.ts';
import { OPERATORS } from '../../merchant/form-units.ts';
import { render } from './views.ts';
import type { MerchantLocals } from './page-locals.ts';

const SegmentQuery = z.object({ after: z.string().max(200).optional(), done: z.enum(['created']).optional() });

export function appSegmentPages(r: Router, ctx: AppContext): void {
  const builder = async (res: Response, form: SegmentForm, errors: Record<string, string>, status = 200) => {
    const { store } = res.locals as MerchantLocals;
    const choices = await segmentChoices(ctx.db.pool, store.id);
    const rows = Math.max(1, Number(form.s_rows ?? 1));
    await render(res, 'app/segment-new', {
      title: 'New segment',
      nav: 'segments',
      form,
      errors,
      rows: Array.from({ length: rows }, (_, i) => i),
      kinds: CONDITION_KINDS,
      metrics: choices.metrics,
      properties: choices.properties,
      operators: OPERATORS,
    }, status);
  };

  r.get('/segments', async (_req, res) => {
    const { store, locale } = res.locals as MerchantLocals;
    const segments = await allSegments(ctx.db.pool, store.id);
    await render(res, 'app/segments', {
      title: 'Segments',
      nav: 'segments',
      segments: segments.map((s) => ({ id: s.id, name: s.name, members: s.members, evaluatedAt: s.evaluatedAt, conditions: s.definition.conditions.map((c) => describeCondition(c, locale)) })),
    });
  });

  r.get('/segments/new', async (_req, res) => builder(res, blankForm(), {}));
  r.post('/segments', async (req, res) => {
    const { store, actor } = res.locals as MerchantLocals;
    const form = tidyForm(req.body as Record<string, unknown>);
    const made = await createSegmentFromForm(ctx.db.pool, store.id, form);
    if (!made.ok) return builder(res, form, made.errors, 422);
    ctx.logger.info({ storeId: store.id, actor, segmentId: made.segment.id }, 'segment created');
    res.redirect(303, `/app/segments/${made.segment.id}?done=created`);
  });

  r.get('/segments/:id', async (req, res, next) => {
    const { store, locale } = res.locals as MerchantLocals;
    const q = parseQuery(SegmentQuery, req.query);
    const found = await segmentPage(ctx.db.pool, store.id, String(req.params.id), decodeCursor(q.after, UUID_CURSOR));
    if (!found) return next();
    await render(res, 'app/segment', {
      title: `Segment: ${found.segment.name}`,
      nav: 'segments',
      segment: found.segment,
      conditions: found.segment.definition.conditions.map((c) => describeCondition(c, locale)),
      history: found.history,
      chart: countChart(found.history),
      members: found.members,
      next: found.nextAfter ? encodeCursor(found.nextAfter) : null,
      flows: found.flows,
      notice: q.done === 'created' ? `Segment created: ${found.segment.members} ${found.segment.members === 1 ? 'person matches' : 'people match'} now. Membership is kept up to date as events arrive and on a schedule.` : undefined,
    });
  });

  r.post('/segments/:id/delete', async (req, res) => {
    const { store } = res.locals as MerchantLocals;
    const done = await deleteStoreSegment(ctx.db.pool, store.id, String(req.params.id));
    if (done.status === 'in-use') {
      return render(res, 'error', { title: 'Cannot do that', status: 409, detail: `This segment starts ${done.flows.map((f) => `“${f}”`).join(', ')}. Change ${done.flows.length > 1 ? 'those flows’ triggers' : 'that flow’s trigger'} first, then delete the segment.` }, 409);
    }
    if (done.status === 'missing') return render(res, 'error', { title: 'Not found', status: 404, detail: 'There is no such segment. It may have been deleted already.' }, 404);
    res.redirect(303, '/app/segments');
  });
}
