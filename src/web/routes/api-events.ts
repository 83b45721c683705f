import { Router } from 'express';
import { z } from 'zod';
import { Batches } from '../../../connectors/custom/payload-schemas.ts';
import { toEventInput } from '../../../connectors/custom/normalise-events.ts';
import { ingestEvents } from '../../ingest/ingest-events.ts';
import { eventsPage } from '../../merchant/store-data-pages.ts';
import type { EventId } from '../../model/ids.ts';
import type { AppContext } from '../../runtime.ts';
import type { AuthedLocals } from '../auth-private-key.ts';
import { parseBatch, parseQuery } from '../parse-batch.ts';
import { decodeCursor, page, NUMERIC_CURSOR } from '../cursor.ts';

const ListQuery = z.object({
  metric: z.string().min(1).max(255).optional(),
  since: z.coerce.date().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export function eventRoutes(ctx: AppContext): Router {
  const r = Router();
  r.post('/events', async (req, res) => {
    const { store } = res.locals as AuthedLocals;
    const events = parseBatch(req.body, Batches.events.key, Batches.events.item);
    const now = new Date();
    const result = await ingestEvents(ctx.db.pool, store.id, events.map((e) => toEventInput(e, store.eventMapping, now)));
    res.status(202).json({ accepted: result.accepted, duplicates: result.duplicates });
  });
  r.get('/events', async (req, res) => {
    const { store } = res.locals as AuthedLocals;
    const query = parseQuery(ListQuery, req.query);
    const after = decodeCursor(req.query.cursor, NUMERIC_CURSOR);
    const rows = await eventsPage(ctx.db, store.id, { ...query, afterId: after as EventId | undefined, limit: query.limit + 1 });
    const p = page(rows, query.limit, (e) => e.id);
    res.json({
      data: p.data.map((e) => ({
        id: e.id,
        metric: e.metric,
        time: e.time.toISOString(),
        value: e.value,
        profile: e.profile,
        properties: e.properties,
        items: e.items,
      })),
      nextCursor: p.nextCursor,
    });
  });
  return r;
}
