// Stock locations: which count toward the quantities thresholds and forecasts read. Leaving one
// out (stock held only at the shop counter) recounts the catalog at once (src/ingest/count-locations.ts).
import type { Response, Router } from 'express';
import type { AppContext } from '../../runtime.ts';
import type { StoreId } from '../../model/ids.ts';
import { countLocations, storeLocations } from '../../ingest/count-locations.ts';
import { listOf } from './forms.ts';
import { render } from './views.ts';
import type { MerchantLocals } from './page-locals.ts';

const page = async (res: Response, ctx: AppContext, storeId: StoreId, notice?: string) =>
  render(res, 'app/locations', { title: 'Stock locations', nav: 'locations', locations: await storeLocations(ctx.db.pool, storeId), notice });

export function appLocationPages(r: Router, ctx: AppContext): void {
  r.get('/settings/locations', async (_req, res) => {
    const { store } = res.locals as MerchantLocals;
    await page(res, ctx, store.id);
  });
  r.post('/settings/locations', async (req, res) => {
    const { store, actor } = res.locals as MerchantLocals;
    // Every location is on the form: a box left unticked means it does not count.
    const counted = new Set(listOf((req.body as Record<string, unknown>).counted));
    const known = await storeLocations(ctx.db.pool, store.id);
    const result = await countLocations(ctx.db.pool, store.id, known.map((l) => ({ locationId: l.locationId, counts: counted.has(l.locationId) })));
    if (!result.ok) return page(res, ctx, store.id, 'A location changed while you were choosing; look again and save.');
    ctx.logger.info({ storeId: store.id, actor, changed: result.changed }, 'counted locations changed');
    await page(res, ctx, store.id, result.changed.length ? `Saved. ${result.recounted} stock figures were recounted.` : 'Nothing changed.');
  });
}
