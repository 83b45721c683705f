// GET /api/v1/messages: the outbox and sent messages, newest first.
import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../../runtime.ts';
import type { AuthedLocals } from '../auth-private-key.ts';
import { messagesPage } from '../../merchant/store-data-pages.ts';
import { parseQuery } from '../parse-batch.ts';
import { decodeCursor, NUMERIC_CURSOR, page } from '../cursor.ts';

const ListQuery = z.object({
  flowId: z.uuid().optional(),
  status: z.enum(['queued', 'held', 'sending', 'sent', 'skipped', 'failed']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function messagingApiRoutes(ctx: AppContext): Router {
  const r = Router();
  r.get('/messages', async (req, res) => {
    const { store } = res.locals as AuthedLocals;
    const query = parseQuery(ListQuery, req.query);
    const before = decodeCursor(req.query.cursor, NUMERIC_CURSOR);
    const rows = await messagesPage(ctx.db, store.id, {
      flowId: query.flowId,
      status: query.status,
      beforeSeq: before === undefined ? undefined : Number(before),
      limit: query.limit + 1,
    });
    const p = page(rows, query.limit, (m) => String(m.seq));
    res.json({
      data: p.data.map((m) => ({
        id: m.id,
        flowId: m.flowId,
        runId: m.runId,
        stepId: m.stepId,
        channel: m.channel,
        to: m.to,
        subject: m.subject,
        status: m.status,
        reason: m.reason,
        createdAt: m.createdAt.toISOString(),
        sentAt: iso(m.sentAt),
        openedAt: iso(m.openedAt),
        clickedAt: iso(m.clickedAt),
      })),
      nextCursor: p.nextCursor,
    });
  });
  return r;
}
