// Klaviyo's back-in-stock subscription: the person and the variant they wait for, kept in
// back_in_stock_requests for the back-in-stock flow. 202 and no body, as Klaviyo answers.
import { Router } from 'express';
import { BackInStockCreate } from '../../../connectors/klaviyo-format/schemas.ts';
import { identityOf } from '../../../connectors/klaviyo-format/map.ts';
import { requestBackInStock } from '../../ingest/back-in-stock.ts';
import type { StoreId } from '../../model/ids.ts';
import type { AppContext } from '../../runtime.ts';
import type { AuthedLocals } from '../auth-private-key.ts';
import { KlaviyoError, parseDocument } from '../klaviyo/errors.ts';

/** Shared with the client-side path, which finds the store by its public key instead. */
export async function recordBackInStock(ctx: AppContext, storeId: StoreId, body: unknown, source: 'klaviyo' | 'storefront' = 'klaviyo'): Promise<void> {
  const { data } = parseDocument(BackInStockCreate, body);
  const profile = identityOf(data.attributes.profile.data.attributes, '/data/attributes/profile/data/attributes');
  const variantId = data.relationships.variant.data.id;
  const outcome = await requestBackInStock(ctx.db.pool, storeId, { profile, variantExternalId: variantId, channels: data.attributes.channels, source });
  // 'limited' (a public form's shopper holding many requests) answers as recorded: the caller learns nothing about the person.
  if (outcome === 'unknown-variant' || outcome === 'ambiguous-variant') {
    const detail = outcome === 'unknown-variant' ? `No catalog variant "${variantId}".` : `Several items list a variant "${variantId}".`;
    throw new KlaviyoError(outcome === 'unknown-variant' ? 404 : 409, outcome === 'unknown-variant' ? 'not_found' : 'conflict', outcome === 'unknown-variant' ? 'Not found.' : 'Conflict.', detail, {
      source: { pointer: '/data/relationships/variant/data/id' },
    });
  }
}

export function klaviyoBackInStockRoutes(ctx: AppContext): Router {
  const r = Router();
  r.post('/back-in-stock-subscriptions', async (req, res) => {
    await recordBackInStock(ctx, (res.locals as AuthedLocals).store.id, req.body);
    res.status(202).end();
  });
  return r;
}
