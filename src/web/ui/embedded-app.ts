// The merchant app inside a platform admin. Shopify opens the app URL (/app) in its admin iframe
// with ?shop&host&embedded=1&id_token=…; a verified token signs the merchant in to that shop's
// store alone, with the cookie made for an iframe (session.ts). App Bridge's fetch proves itself
// with the same kind of token in an Authorization header, which works with no cookie at all.
// Every page of such a session may be framed by its own store's admin and by nothing else.
import type { Request, RequestHandler, Response, Router } from 'express';
import { z } from 'zod';
import type { Shopify } from '@shopify/shopify-api';
import type { ShopifyConnector } from '../../../connectors/shopify/shopify-connector.ts';
import { verifySessionToken } from '../../../connectors/shopify/session-token.ts';
import { storeForDomain } from '../../stores/store-lookup.ts';
import type { Store } from '../../model/store.ts';
import type { AppContext } from '../../runtime.ts';
import { adminOrigins, allowAppBridge, allowFramingBy, SHOPIFY_ADMIN, shopifyAdmins } from '../frame-ancestors.ts';
import { ProblemError } from '../problem.ts';
import { ShopDomain } from '../routes/shopify-install.ts';
import { bearerSession, startSession } from '../session.ts';
import { spendSignInProof } from '../sign-in-proof.ts';
import { render } from './views.ts';
import type { EmbedLocals } from './page-locals.ts';

const LaunchQuery = z.object({
  id_token: z.string().min(1).max(4096),
  shop: ShopDomain.optional(),
  // Shopify's base64url of the admin's address; App Bridge reads it from the URL.
  host: z.string().regex(/^[A-Za-z0-9_=-]{1,500}$/).optional(),
  embedded: z.string().optional(),
});

const REFUSED = 'Shopify did not sign this launch for Storeflow, or it has expired. Open Storeflow again from your Shopify admin.';

function shopifyApi(ctx: AppContext): Shopify {
  const api = (ctx.connectors.shopify as ShopifyConnector | undefined)?.api;
  if (!api) throw new ProblemError(503, 'Shopify is not configured here: set SHOPIFY_API_KEY and SHOPIFY_API_SECRET.');
  return api;
}

/** Lets the store's admin frame this response, with App Bridge on Shopify pages. */
export function embedIn(ctx: AppContext, res: Response, store: Store): void {
  allowFramingBy(res, ctx.config, adminOrigins(store));
  const apiKey = ctx.config.shopify.apiKey;
  if (store.platform === 'shopify' && apiKey) {
    allowAppBridge(res);
    (res.locals as EmbedLocals).appBridge = { apiKey };
  }
}

async function installedShop(ctx: AppContext, shop: string): Promise<Store | undefined> {
  const store = await storeForDomain({ pool: ctx.db.pool }, 'shopify', shop);
  return store?.status === 'active' ? store : undefined;
}

async function notInstalled(ctx: AppContext, req: Request, res: Response, shop: string, framed: boolean): Promise<void> {
  const install = `/shopify/install?shop=${encodeURIComponent(shop)}`;
  if (!framed) return res.redirect(303, install);
  // OAuth cannot run inside the admin's frame (Shopify's authorize page refuses to be framed), so
  // the merchant leaves it with a click: a top-level navigation needs the user's gesture.
  allowFramingBy(res, ctx.config, shopifyAdmins(shop));
  req.log.info({ shop }, 'shopify launch for a shop without Storeflow');
  await render(res, 'app/install-needed', { title: 'Install Storeflow', shop, install: `${ctx.config.appUrl}${install}` }, 404);
}

/** The admin user a session token names (its sub), when it names one. */
const subjectOf = (userId: string | undefined): { subject?: string } => (userId ? { subject: `shopify:${userId}` } : {});

/** GET /app with an id_token: the Shopify admin's launch. Anything else passes through. */
export function shopifyLaunch(r: Router, ctx: AppContext): void {
  r.get('/', async (req, res, next) => {
    if (req.query.id_token === undefined) return next();
    const api = shopifyApi(ctx);
    const q = LaunchQuery.safeParse(req.query);
    // A refusal is shown inside the admin (it names no store and starts nothing), not as a broken frame.
    allowFramingBy(res, ctx.config, [SHOPIFY_ADMIN]);
    if (!q.success) throw new ProblemError(400, 'This is not a Shopify admin launch.');
    const verdict = await verifySessionToken(api, q.data.id_token);
    if (!verdict.ok || (q.data.shop !== undefined && q.data.shop !== verdict.shop)) {
      req.log.warn({ shop: q.data.shop, reason: verdict.ok ? 'shop parameter and token disagree' : verdict.reason }, 'shopify launch refused');
      throw new ProblemError(401, REFUSED);
    }
    const store = await installedShop(ctx, verdict.shop);
    if (!store) return notInstalled(ctx, req, res, verdict.shop, q.data.embedded === '1');
    // The launch token starts one session: a copy of this URL replayed anywhere else is refused.
    // (App Bridge's bearer tokens below are per request and start nothing, so they may repeat.)
    await spendSignInProof(ctx, 'shopify-id-token', q.data.id_token, verdict.expiresAt, 'Open Storeflow again from your Shopify admin.');
    await startSession(ctx, res, 'app', { storeId: store.id, actor: `${verdict.shop} admin`, via: 'shopify', embedded: true, ...subjectOf(verdict.userId) });
    embedIn(ctx, res, store);
    // The token leaves the address bar (it lasts a minute; a reload would replay a dead one).
    const onward = new URLSearchParams({ shop: verdict.shop, ...(q.data.host ? { host: q.data.host } : {}), embedded: '1' });
    res.redirect(303, `/app?${onward}`);
  });
}

/**
 * "Authorization: Bearer <session token>" on any /app request: the shop's merchant for this
 * request only. A header that is present but not a valid token is refused, never ignored in
 * favour of a cookie, so a request cannot claim one store and be served as another.
 */
export function shopifyBearer(ctx: AppContext): RequestHandler {
  return async (req, res, next) => {
    // Other schemes (a proxy's Basic auth, say) are not ours to judge.
    const m = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
    if (!m) return next();
    const api = (ctx.connectors.shopify as ShopifyConnector | undefined)?.api;
    if (!api) throw new ProblemError(401, 'Bearer tokens are Shopify session tokens, and Shopify is not configured here.');
    const verdict = await verifySessionToken(api, m[1]!);
    if (!verdict.ok) {
      req.log.warn({ reason: verdict.reason }, 'shopify session token refused');
      throw new ProblemError(401, 'The Shopify session token was refused; reload Storeflow from your Shopify admin.');
    }
    const store = await installedShop(ctx, verdict.shop);
    if (!store) throw new ProblemError(401, `Storeflow is not installed on ${verdict.shop}.`);
    bearerSession(res, { storeId: store.id, actor: `${verdict.shop} admin`, via: 'shopify', embedded: true, ...subjectOf(verdict.userId) }, verdict.expiresAt);
    next();
  };
}
