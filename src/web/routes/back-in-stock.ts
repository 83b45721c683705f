// Back-in-stock requests through our own API: with the private key (POST /api/v1/back-in-stock,
// and the store's request window), and the public storefront form (POST
// /api/v1/back-in-stock/subscribe, keyed by the public key, used by t.js and the Shopify theme
// block). The public one answers the same whoever the shopper is (docs/security/inventory-flows.md).
import express, { Router } from 'express';
import { rateLimit } from 'express-rate-limit';
import { z } from 'zod';
import type { AppContext } from '../../runtime.ts';
import type { AuthedLocals } from '../auth-private-key.ts';
import { Email, Phone, AnonymousId, ProfileIdentity } from '../../model/profile.ts';
import { backInStockSettings, requestBackInStock, requestFromStorefront, saveBackInStockSettings } from '../../ingest/back-in-stock.ts';
import { parseBody } from '../parse-batch.ts';
import { ProblemError, sendProblem } from '../problem.ts';
import { cors } from './track.ts';

const VariantExternalId = z.string().trim().min(1).max(255);
const Quantity = z.number().int().min(1).max(100).default(1);

export const BackInStockBody = z.strictObject({
  profile: ProfileIdentity,
  variantId: VariantExternalId,
  quantity: Quantity,
  channels: z.array(z.enum(['email', 'sms'])).min(1).max(2).default(['email']),
});

export const BackInStockSettingsBody = z.strictObject({ requestDays: z.number().int().min(1).max(365) });

/** The storefront form: an address to tell, never a platform customer id (the public key proves nothing about who asks). */
export const PublicBackInStockBody = z
  .strictObject({
    publicKey: z.string().min(1).max(100),
    email: Email.optional(),
    phone: Phone.optional(),
    anonymousId: AnonymousId.optional(),
    variantId: VariantExternalId,
    quantity: z.coerce.number().int().min(1).max(100).default(1),
    source: z.enum(['storefront', 'theme-block']).default('storefront'),
  })
  .refine((b) => b.email || b.phone, 'needs an email or a phone');

export function backInStockApiRoutes(ctx: AppContext): Router {
  const r = Router();
  r.post('/back-in-stock', async (req, res) => {
    const { store } = res.locals as AuthedLocals;
    const body = parseBody(BackInStockBody, req.body);
    const outcome = await requestBackInStock(ctx.db.pool, store.id, { profile: body.profile, variantExternalId: body.variantId, channels: body.channels, quantity: body.quantity, source: 'api' });
    if (outcome === 'unknown-variant') throw new ProblemError(404, `No catalog variant "${body.variantId}"; sync the catalog or check the id.`);
    if (outcome === 'ambiguous-variant') throw new ProblemError(409, `Several items list a variant "${body.variantId}"; use a variant id unique in the catalog.`);
    res.status(202).json({ status: 'recorded' });
  });
  r.get('/back-in-stock/settings', async (_req, res) => {
    const { store } = res.locals as AuthedLocals;
    res.json(await backInStockSettings(ctx.db.pool, store.id));
  });
  r.put('/back-in-stock/settings', async (req, res) => {
    const { store } = res.locals as AuthedLocals;
    res.json(await saveBackInStockSettings(ctx.db.pool, store.id, parseBody(BackInStockSettingsBody, req.body)));
  });
  return r;
}

/** Mounted beside /api/v1/track, before the private-key API: anyone may call it. */
export function backInStockPublicRoutes(ctx: AppContext): Router {
  const r = Router();
  const path = '/api/v1/back-in-stock/subscribe';
  r.options(path, (_req, res) => {
    cors(res);
    res.sendStatus(204);
  });
  r.post(
    path,
    (_req, res, next) => {
      cors(res);
      next();
    },
    // Far below /api/v1/track's: a shopper asks once per item, a script asking for thousands of addresses is stopped early.
    rateLimit({
      windowMs: 60_000,
      limit: 10,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      handler: (_req, res) => sendProblem(res, 429, 'Too many requests from this address; try again in a minute.'),
    }),
    // A theme form posts urlencoded; the snippet posts text/plain (no preflight) or JSON.
    express.text({ type: ['text/plain', 'application/json'], limit: '4kb' }),
    express.urlencoded({ extended: false, limit: '4kb' }),
    async (req, res) => {
      let raw: unknown = req.body;
      if (typeof req.body === 'string') {
        try {
          raw = JSON.parse(req.body);
        } catch {
          throw new ProblemError(400, 'The body is not valid JSON.', { slug: 'malformed-json' });
        }
      }
      const body = parseBody(PublicBackInStockBody, raw);
      const profile = { ...(body.email ? { email: body.email } : {}), ...(body.phone ? { phone: body.phone } : {}), ...(body.anonymousId ? { anonymousId: body.anonymousId } : {}) };
      const channels = [...(body.email ? ['email'] : []), ...(body.phone ? ['sms'] : [])];
      const outcome = await requestFromStorefront(ctx.db.pool, body.publicKey, { profile, variantExternalId: body.variantId, channels, quantity: body.quantity, source: body.source });
      if (outcome === 'invalid-key') throw new ProblemError(401, 'Unknown public key.', { slug: 'invalid-key' });
      // The catalog is public, so an unknown variant may be said; whether the person exists or
      // already waits is not: recorded, renewed and limited answer alike.
      if (outcome === 'unknown-variant' || outcome === 'ambiguous-variant') throw new ProblemError(404, 'This item cannot be waited for.', { slug: 'unknown-variant' });
      res.status(202).json({ status: 'received' });
    },
  );
  return r;
}
