// GET /api/v1/locations and PATCH /api/v1/locations: the store's stock locations and which of
// them count toward the quantities thresholds and forecasts read.
import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../../runtime.ts';
import type { AuthedLocals } from '../auth-private-key.ts';
import { countLocations, storeLocations, type Location } from '../../ingest/count-locations.ts';
import { ExternalLocationId } from '../../model/catalog.ts';
import { parseBody } from '../parse-batch.ts';
import { ProblemError } from '../problem.ts';

export const LocationsPatch = z.strictObject({
  locations: z.array(z.strictObject({ locationId: ExternalLocationId, counts: z.boolean() })).min(1).max(500),
});

export const locationJson = (l: Location) => ({ locationId: l.locationId, name: l.name, counts: l.counts, variants: l.variants, available: l.available });

export function locationRoutes(ctx: AppContext): Router {
  const r = Router();
  r.get('/locations', async (_req, res) => {
    const { store } = res.locals as AuthedLocals;
    res.json({ data: (await storeLocations(ctx.db.pool, store.id)).map(locationJson) });
  });
  r.patch('/locations', async (req, res) => {
    const { store } = res.locals as AuthedLocals;
    const body = parseBody(LocationsPatch, req.body);
    const result = await countLocations(ctx.db.pool, store.id, body.locations);
    if (!result.ok) throw new ProblemError(422, `No such location in this store: ${result.unknown.join(', ')}.`);
    res.json({ data: result.locations.map(locationJson), recounted: result.recounted });
  });
  return r;
}
