// Mounts Klaviyo's paths: /api/… with the private key (beside /api/v1, which it leaves alone)
// and /client/… with the public key. Order matters: an unknown endpoint is named before
// anything is read; then key, revision, rate limit, and only then the body.
import express, { Router, type RequestHandler } from 'express';
import type { AppContext } from '../../runtime.ts';
import { privateApiRateLimit } from '../api-rate-limit.ts';
import { KlaviyoError, klaviyoErrorHandler, sendKlaviyoError } from './errors.ts';
import { requireJson, requireKlaviyoKey, requireRevision } from './guard.ts';
import { unsupportedDetail } from './surface.ts';
import { klaviyoEventRoutes } from '../routes/klaviyo-events.ts';
import { klaviyoProfileRoutes } from '../routes/klaviyo-profiles.ts';
import { klaviyoCatalogRoutes } from '../routes/klaviyo-catalog.ts';
import { klaviyoBackInStockRoutes } from '../routes/klaviyo-back-in-stock.ts';
import { klaviyoClientEndpointRoutes } from '../routes/klaviyo-client.ts';

const SERVED: Array<[string, RegExp]> = [
  ['POST', /^\/(events|event-bulk-create-jobs|profiles|profile-subscription-bulk-create-jobs|catalog-items|catalog-variants|catalog-item-bulk-(create|update)-jobs|catalog-variant-bulk-(create|update)-jobs|back-in-stock-subscriptions)\/?$/],
  ['GET', /^\/(profiles|catalog-items|catalog-variants)(\/[^/]+)?\/?$/],
  ['PATCH', /^\/(profiles|catalog-items|catalog-variants)\/[^/]+\/?$/],
];

const notServed = (served: Array<[string, RegExp]>, prefix: string): RequestHandler => (req, res, next) => {
  if (served.some(([method, path]) => method === req.method && path.test(req.path))) return next();
  sendKlaviyoError(res, new KlaviyoError(404, 'not_found', 'Not found.', unsupportedDetail(req.method, `${prefix}${req.path}`)));
};

export function klaviyoServerRoutes(ctx: AppContext): Router {
  const r = Router();
  // /api/v1 has its own router and its own 404.
  r.use((req, _res, next) => (req.path === '/v1' || req.path.startsWith('/v1/') ? next('router') : next()));
  r.use(notServed(SERVED, '/api'));
  r.use(requireKlaviyoKey(ctx.db.pool));
  r.use(requireRevision);
  r.use(privateApiRateLimit(ctx, (_req, res, detail) => sendKlaviyoError(res, new KlaviyoError(429, 'throttled', 'Request was throttled.', detail))));
  r.use(requireJson);
  r.use(express.json({ limit: '5mb', type: ['application/json', 'application/*+json'] }));
  r.use(klaviyoEventRoutes(ctx));
  r.use(klaviyoProfileRoutes(ctx));
  r.use(klaviyoCatalogRoutes(ctx));
  r.use(klaviyoBackInStockRoutes(ctx));
  r.use(klaviyoErrorHandler(ctx.logger));
  return r;
}

const CLIENT_SERVED: Array<[string, RegExp]> = [
  ['POST', /^\/(events|profiles|subscriptions|back-in-stock-subscriptions)\/?$/],
  ['OPTIONS', /^\/(events|profiles|subscriptions|back-in-stock-subscriptions)\/?$/],
];

export function klaviyoClientRoutes(ctx: AppContext): Router {
  const r = Router();
  r.use(notServed(CLIENT_SERVED, '/client'));
  r.use(klaviyoClientEndpointRoutes(ctx));
  r.use(klaviyoErrorHandler(ctx.logger));
  return r;
}
