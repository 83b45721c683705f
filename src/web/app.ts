import express, { type Express } from 'express';
import helmet from 'helmet';
import { rateLimit } from 'express-rate-limit';
import type { AppContext } from '../runtime.ts';
import type { AuthedLocals } from './auth-private-key.ts';
import { requirePrivateKey } from './auth-private-key.ts';
import { problemHandler, sendProblem } from './problem.ts';
import { requestLogger } from './request-log.ts';
import { cacheViews } from './ui/views.ts';
import { privateApiRateLimit } from './api-rate-limit.ts';
import { klaviyoClientRoutes, klaviyoServerRoutes } from './klaviyo/klaviyo-router.ts';
import { healthRoutes } from './routes/health.ts';
import { trackRoutes } from './routes/track.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { shopifyRoutes } from './routes/shopify-install.ts';
import { wixRoutes } from './routes/wix-install.ts';
import { wixDashboardRoutes } from './routes/wix-dashboard.ts';
import { bigcommerceRoutes } from './routes/bigcommerce-callbacks.ts';
import { catalogRoutes } from './routes/api-catalog.ts';
import { eventRoutes } from './routes/api-events.ts';
import { profileRoutes } from './routes/api-profiles.ts';
import { flowRoutes } from './routes/api-flows.ts';
import { webhookSigningRoutes } from './routes/api-webhook-signing.ts';
import { personalDataRoutes } from './routes/api-personal-data.ts';
import { segmentRoutes } from './routes/api-segments.ts';
import { storeRoutes } from './routes/api-store.ts';
import { locationRoutes } from './routes/api-locations.ts';
import { backInStockApiRoutes, backInStockPublicRoutes } from './routes/back-in-stock.ts';
import { messagingApiRoutes } from './routes/messaging-api.ts';
import { messagingTrackingRoutes } from './routes/messaging-tracking.ts';
import { messagingUnsubscribeRoutes } from './routes/messaging-unsubscribe.ts';
import { messagingInboundSmsRoutes } from './routes/messaging-inbound-sms.ts';
import { uiRoutes } from './ui/ui-routes.ts';

export function createApp(ctx: AppContext): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', ctx.config.trustProxy);
  cacheViews(ctx.config.nodeEnv === 'production');
  app.use(requestLogger(ctx.logger));
  app.use(helmet());

  app.use(healthRoutes(ctx));
  app.use(trackRoutes(ctx));
  app.use(backInStockPublicRoutes(ctx));
  app.use(wixRoutes(ctx));
  app.use(wixDashboardRoutes(ctx));
  app.use(shopifyRoutes(ctx));
  app.use(webhookRoutes(ctx));
  app.use(messagingTrackingRoutes(ctx));
  app.use(messagingUnsubscribeRoutes(ctx));
  app.use(messagingInboundSmsRoutes(ctx));
  app.use(bigcommerceRoutes(ctx));

  const api = express.Router();
  // Key first, then the rate limit, then the body: nobody without a key makes us read 8 MB.
  api.use(requirePrivateKey(ctx.db.pool));
  api.use(privateApiRateLimit(ctx, (_req, res, detail) => sendProblem(res, 429, detail)));
  api.use((req, res, next) => {
    if (['POST', 'PUT', 'PATCH'].includes(req.method) && !req.is(['application/json', 'application/*+json'])) {
      return sendProblem(res, 415, 'Send the body as application/json.');
    }
    next();
  });
  api.use(express.json({ limit: '8mb', type: ['application/json', 'application/*+json'] }));
  api.use(catalogRoutes(ctx));
  api.use(eventRoutes(ctx));
  api.use(profileRoutes(ctx));
  api.use(flowRoutes(ctx));
  api.use(segmentRoutes(ctx));
  api.use(storeRoutes(ctx));
  api.use(locationRoutes(ctx));
  api.use(backInStockApiRoutes(ctx));
  api.use(messagingApiRoutes(ctx));
  api.use(webhookSigningRoutes(ctx));
  api.use(personalDataRoutes(ctx));
  app.use('/api/v1', api);
  // Klaviyo's own paths beside /api/v1 (DESIGN §7), answering in Klaviyo's error shape.
  app.use('/api', klaviyoServerRoutes(ctx));
  app.use('/client', klaviyoClientRoutes(ctx));
  app.use(uiRoutes(ctx));

  app.use((_req, res) => sendProblem(res, 404, 'No such route.'));
  app.use(problemHandler(ctx.logger));
  return app;
}
