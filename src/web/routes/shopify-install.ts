// Shopify install: /shopify/install starts OAuth for a myshopify.com shop (the state nonce rides
// in a cookie signed with the app secret), /shopify/callback checks the query HMAC and state,
// takes the expiring offline token and completes the install.
import { Router } from 'express';
import { z } from 'zod';
import { BotActivityDetected, CookieNotFound, HttpResponseError, InvalidHmacError, InvalidOAuthError } from '@shopify/shopify-api';
import { CALLBACK_PATH } from '../../../connectors/shopify/shopify-api.ts';
import type { ShopifyConnector } from '../../../connectors/shopify/shopify-connector.ts';
import { completeInstall, WebhookRegistrationError } from '../../../connectors/shopify/install.ts';
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
    let session;
    try {
      ({ session } = await connector!.api.auth.callback({ rawRequest: req, rawResponse: res, expiring: true }));
    } catch (err) {
      if (err instanceof CookieNotFound || err instanceof InvalidOAuthError || err instanceof InvalidHmacError || err instanceof BotActivityDetected) {
        req.log.warn({ shop: q.data.shop, reason: (err as Error).name }, 'shopify callback refused');
        return sendProblem(res, 401, 'The install link failed its signature or state check, or has expired; start the install again from Shopify.', {
          slug: 'invalid-oauth-callback',
        });
      }
      if (err instanceof HttpResponseError) {
        req.log.warn({ shop: q.data.shop, status: err.response.code }, 'shopify token exchange failed');
        return sendProblem(res, 502, 'Shopify did not grant an access token; start the install again.', { slug: 'token-exchange-failed' });
      }
      throw err;
    }
    let store;
    try {
      store = await completeInstall({ pool: ctx.db.pool, secrets: ctx.secrets, api: connector!.api }, session);
    } catch (err) {
      if (!(err instanceof WebhookRegistrationError || err instanceof HttpResponseError)) throw err;
      req.log.error({ err, shop: session.shop }, 'shopify install incomplete');
      return sendProblem(res, 502, 'Shopify did not accept our webhook subscriptions; open the app again to retry.', { slug: 'webhook-registration-failed' });
    }
    // The merchant who just installed lands in the app signed in to this shop only.
    await startSession(ctx, res, 'app', { storeId: store.id, actor: `${session.shop} admin`, via: 'shopify' });
    res.redirect(302, `/app?shop=${encodeURIComponent(session.shop)}`);
  });
  return r;
}
