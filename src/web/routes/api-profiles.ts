import { Router } from 'express';
import { z } from 'zod';
import { Batches } from '../../../connectors/custom/payload-schemas.ts';
import { ingestProfiles } from '../../ingest/ingest-profiles.ts';
import { profilesPage } from '../../merchant/store-data-pages.ts';
import { Email, Phone } from '../../model/profile.ts';
import type { ProfileId } from '../../model/ids.ts';
import type { AppContext } from '../../runtime.ts';
import type { AuthedLocals } from '../auth-private-key.ts';
import { parseBatch, parseQuery } from '../parse-batch.ts';
import { decodeCursor, page, UUID_CURSOR } from '../cursor.ts';

const ListQuery = z.object({
  email: Email.optional(),
  phone: Phone.optional(),
  externalId: z.string().min(1).max(255).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export function profileRoutes(ctx: AppContext): Router {
  const r = Router();
  r.post('/profiles', async (req, res) => {
    const { store } = res.locals as AuthedLocals;
    const profiles = parseBatch(req.body, Batches.profiles.key, Batches.profiles.item);
    const result = await ingestProfiles(ctx.db.pool, store.id, profiles);
    res.json({ upserted: result.upserted });
  });
  r.get('/profiles', async (req, res) => {
    const { store } = res.locals as AuthedLocals;
    const query = parseQuery(ListQuery, req.query);
    const after = decodeCursor(req.query.cursor, UUID_CURSOR) as ProfileId | undefined;
    const rows = await profilesPage(ctx.db, store.id, { ...query, afterId: after, limit: query.limit + 1 });
    const p = page(rows, query.limit, (x) => x.id);
    res.json({
      data: p.data.map((x) => ({
        id: x.id,
        email: x.email,
        phone: x.phone,
        externalId: x.externalId,
        firstName: x.firstName,
        lastName: x.lastName,
        timezone: x.timezone,
        properties: x.properties,
        consent: x.consent,
        lists: x.lists,
        createdAt: x.createdAt.toISOString(),
        updatedAt: x.updatedAt.toISOString(),
      })),
      nextCursor: p.nextCursor,
    });
  });
  return r;
}
