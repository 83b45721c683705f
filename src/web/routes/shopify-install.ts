// Shopify install: /shopify/install starts OAuth for a myshopify.com shop (the state nonce rides
// in a cookie signed with the app secret), /shopify/callback checks the query HMAC and state,
// takes the expiring offline token and completes the install through the install use case.
import { Router } from 'express';
import { z } from 'zod';
import { CALLBACK_PATH } from '../../../connectors/shopify/shopify-api.ts';
import type { ShopifyConnector } from '../../../connectors/shopify/shopify-connector.ts';
import { shopifyGrant } from '../../../connectors/shopify/install.ts';
import { installStore } from '../../stores/install-store.ts';
import type { AppContext } from '../../runtime.ts';
import { sendProblem } from '../problem.ts';
import { startSession } from '../session.ts';

export const ShopDomain = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9-]*\.myshopify\.com$/, 'must be a shop domain ending in .myshopify.com, such as my-shop.myshopify.com');

const InstallQuery = z.object({ shop: ShopDomain });
const CallbackQuery = z.object({ shop: ShopDomain, code: z.string().min(1), hmac: z.string().min(1), state: z.string().min(1), timestamp: z.string().min(1) });

const asErrors = (e: z.ZodError) => e.issues.map((i) => ({ index: null, path: i.path.join('.'), message: i.message }));

export function shopifyRoutes(ctx: AppContext): Router {
  const r = Router();
  const connector = ctx.connectors.shopify as ShopifyConnector | undefined;

  r.get(['/shopify/install', CALLBACK_PATH], (_req, res, next) => {
    if (!connector?.api) return sendProblem(res, 503, 'Shopify is not configured here: set SHOPIFY_API_KEY and SHOPIFY_API_SECRET.');
    next();
  });

  r.get('/shopify/install', async (req, res) => {
    const q = InstallQuery.safeParse(req.query);
    if (!q.success) return sendProblem(res, 400, 'Give the shop as its myshopify.com domain.', { slug: 'invalid-shop', errors: asErrors(q.error) });
    await connector!.api.auth.begin({ shop: q.data.shop, callbackPath: CALLBACK_PATH, isOnline: false, rawRequest: req, rawResponse: res });
  });

  r.get(CALLBACK_PATH, async (req, res) => {
    const q = CallbackQuery.safeParse(req.query);
    if (!q.success) return sendProblem(res, 400, 'This is not a Shopify install callback.', { slug: 'invalid-callback', errors: asErrors(q.error) });
    const outcome = await installStore({ pool: ctx.db.pool, secrets: ctx.secrets }, shopifyGrant({ secrets: ctx.secrets, api: connector!.api }, { rawRequest: req, rawResponse: res }));
    switch (outcome.status) {
      case 'refused':
        req.log.warn({ shop: q.data.shop, reason: outcome.detail }, 'shopify callback refused');
        return sendProblem(res, 401, 'The install link failed its signature or state check, or has expired; start the install again from Shopify.', {
          slug: 'invalid-oauth-callback',
        });
      case 'unavailable':
        req.log.warn({ shop: q.data.shop, detail: outcome.detail }, 'shopify token exchange failed');
        return sendProblem(res, 502, 'Shopify did not grant an access token; start the install again.', { slug: 'token-exchange-failed' });
      case 'unfinished':
        req.log.error({ shop: outcome.store.domain, detail: outcome.detail }, 'shopify install incomplete');
        return sendProblem(res, 502, 'Shopify did not accept our webhook subscriptions; open the app again to retry.', { slug: 'webhook-registration-failed' });
      case 'installed':
        break;
    }
    // The merchant who just installed lands in the app signed in to this shop only.
    const { store } = outcome;
    await startSession(ctx, res, 'app', { storeId: store.id, actor: `${store.domain} admin`, via: 'shopify' });
    res.redirect(302, `/app?shop=${encodeURIComponent(store.domain)}`);
  });
  return r;
}
