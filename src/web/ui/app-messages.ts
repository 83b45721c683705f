// The outbox and message log, with Send / Skip for messages held for review.
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../../runtime.ts';
import { MessageId } from '../../model/ids.ts';
import { ProblemError } from '../problem.ts';
import { parseQuery } from '../parse-batch.ts';
import { messagesPage } from '../../merchant/store-data-pages.ts';
import { listStoreFlows } from '../../flows/flow-service.ts';
import { decideAllHeld, releaseHeld, skipHeld } from '../../messaging/outbox.ts';
import { allowStyleAttributes } from './browser-router.ts';
import { render } from './views.ts';
import type { MerchantLocals } from './page-locals.ts';

const PAGE = 50;
const STATUSES = ['queued', 'held', 'sending', 'sent', 'skipped', 'failed'] as const;
const MessagesQuery = z.object({
  status: z.enum(STATUSES).or(z.literal('')).default(''),
  flowId: z.uuid().or(z.literal('')).default(''),
  before: z.coerce.number().int().positive().optional(),
  done: z.enum(['sent', 'skipped', 'gone', 'all-sent', 'all-skipped']).optional(),
  n: z.coerce.number().int().min(0).optional(),
});
const Decision = z.object({ reason: z.string().trim().max(300).default('') });
const DecideAll = z.object({ action: z.enum(['send', 'skip']), flowId: z.uuid().or(z.literal('')).default('') });

export function appMessagePages(r: Router, ctx: AppContext): void {
  r.get('/messages', async (req, res) => {
    const { store } = res.locals as MerchantLocals;
    const q = parseQuery(MessagesQuery, req.query);
    const [messages, flows] = await Promise.all([
      messagesPage(ctx.db, store.id, { status: q.status || undefined, flowId: q.flowId || undefined, beforeSeq: q.before, limit: PAGE + 1 }),
      listStoreFlows(ctx.db.pool, store),
    ]);
    const flowName = new Map(flows.map((f) => [f.id as string, f.name]));
    const notices = {
      sent: 'Released: the message goes out with the next delivery run.',
      skipped: 'Skipped: the message will not be sent.',
      gone: 'That message was already decided.',
      'all-sent': `Released ${q.n ?? 0} held messages: they go out with the next delivery run.`,
      'all-skipped': `Skipped ${q.n ?? 0} held messages.`,
    };
    allowStyleAttributes(res);
    await render(res, 'app/messages', {
      title: 'Outbox',
      nav: 'messages',
      messages: messages.slice(0, PAGE).map((m) => ({ ...m, flowName: m.flowId ? (flowName.get(m.flowId) ?? 'deleted flow') : m.stepId?.startsWith('test:') ? 'test send' : '—' })),
      held: messages.some((m) => m.status === 'held'),
      nextBefore: messages.length > PAGE ? messages[PAGE - 1]!.seq : null,
      flows,
      statuses: STATUSES,
      status: q.status,
      flowId: q.flowId,
      notice: q.done ? notices[q.done] : undefined,
    });
  });

  const decide = (action: 'send' | 'skip') => async (req: Request, res: Response) => {
    const { store, actor } = res.locals as MerchantLocals;
    const id = MessageId.safeParse(req.params.id);
    if (!id.success) throw new ProblemError(404, 'No such message.');
    const { reason } = Decision.parse(req.body ?? {});
    const changed = action === 'send'
      ? await releaseHeld(ctx.db.pool, store.id, id.data, actor)
      : await skipHeld(ctx.db.pool, store.id, id.data, actor, reason || `skipped by ${actor}`);
    res.redirect(303, `/app/messages?status=held&done=${changed ? (action === 'send' ? 'sent' : 'skipped') : 'gone'}`);
  };
  r.post('/messages/held/decide', async (req, res) => {
    const { store, actor } = res.locals as MerchantLocals;
    const form = DecideAll.safeParse(req.body ?? {});
    if (!form.success) throw new ProblemError(422, 'Choose to send or to skip the held messages.');
    const { action, flowId } = form.data;
    const n = await decideAllHeld(ctx.db.pool, store.id, flowId || null, actor, action === 'send' ? 'send' : { skip: `skipped by ${actor}` });
    res.redirect(303, `/app/messages?status=held${flowId ? `&flowId=${flowId}` : ''}&done=${action === 'send' ? 'all-sent' : 'all-skipped'}&n=${n}`);
  });
  r.post('/messages/:id/send', decide('send'));
  r.post('/messages/:id/skip', decide('skip'));
}
