// Klaviyo's event endpoints: one event, or a bulk job of events per profile, into the same
// ingest path as /api/v1/events. Klaviyo answers both with 202 and no body.
import { Router } from 'express';
import { EventBulkCreateJob, EventCreate } from '../../../connectors/klaviyo-format/schemas.ts';
import { eventOf, identityOf } from '../../../connectors/klaviyo-format/map.ts';
import { ingestEvents } from '../../ingest/ingest-events.ts';
import type { EventInput } from '../../model/event.ts';
import type { AppContext } from '../../runtime.ts';
import type { AuthedLocals } from '../auth-private-key.ts';
import { parseDocument } from '../klaviyo/errors.ts';

export function klaviyoEventRoutes(ctx: AppContext): Router {
  const r = Router();
  r.post('/events', async (req, res) => {
    const { store } = res.locals as AuthedLocals;
    const { data } = parseDocument(EventCreate, req.body);
    const base = '/data/attributes';
    const profile = identityOf(data.attributes.profile.data.attributes, `${base}/profile/data/attributes`);
    await ingestEvents(ctx.db.pool, store.id, [eventOf(data.attributes, profile, store.eventMapping, new Date(), base)]);
    res.status(202).end();
  });
  r.post('/event-bulk-create-jobs', async (req, res) => {
    const { store } = res.locals as AuthedLocals;
    const { data } = parseDocument(EventBulkCreateJob, req.body);
    const now = new Date();
    const events: EventInput[] = data.attributes['events-bulk-create'].data.flatMap((group, g) => {
      const base = `/data/attributes/events-bulk-create/data/${g}/attributes`;
      const profile = identityOf(group.attributes.profile.data.attributes, `${base}/profile/data/attributes`);
      return group.attributes.events.data.map((e, i) => eventOf(e.attributes, profile, store.eventMapping, now, `${base}/events/data/${i}/attributes`));
    });
    await ingestEvents(ctx.db.pool, store.id, events);
    res.status(202).end();
  });
  return r;
}
