// POST /webhooks/:platform: the raw body goes to the intake use case (src/ingest/webhook-intake.ts),
// which verifies it and queues it (or parks it); each outcome maps to one response here.
import express, { Router } from 'express';
import { createWebhookIntake } from '../../ingest/webhook-intake.ts';
import type { AppContext } from '../../runtime.ts';
import { sendProblem } from '../problem.ts';

export function webhookRoutes(ctx: AppContext): Router {
  const r = Router();
  const intake = createWebhookIntake({ pool: ctx.db.pool, connectors: ctx.connectors });
  r.post('/webhooks/:platform', express.raw({ type: () => true, limit: '5mb' }), async (req, res) => {
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const outcome = await intake.execute(String(req.params.platform), { headers: req.headers, rawBody });
    switch (outcome.status) {
      case 'no-endpoint':
        return sendProblem(res, 404, 'No webhook endpoint for this platform.');
      case 'refused': {
        req.log.warn({ platform: outcome.platform, reason: outcome.reason }, 'webhook refused');
        const status = outcome.reason === 'malformed' ? 400 : outcome.reason === 'unsupported' ? 404 : 401;
        return sendProblem(res, status, outcome.detail, { slug: `webhook-${outcome.reason}` });
      }
      case 'parked':
        req.log.warn({ platform: outcome.platform, shop: outcome.shop, topic: outcome.topic, reason: outcome.reason }, 'webhook parked: payload cannot be stored');
        return res.status(200).json({ status: 'parked' });
      case 'nothing-held':
        req.log.info({ platform: outcome.platform, shop: outcome.shop, topic: outcome.topic }, 'privacy webhook for a shop we hold nothing of');
        return res.status(200).json({ status: 'nothing-held' });
      case 'unknown-shop':
        req.log.warn({ platform: outcome.platform, shop: outcome.shop, topic: outcome.topic }, 'webhook for unknown shop');
        return sendProblem(res, 401, 'This shop is not installed.', { slug: 'unknown-shop' });
      case 'weaker-signature':
        req.log.warn({ platform: outcome.platform, shop: outcome.shop, topic: outcome.topic }, 'webhook refused: signature required for this shop');
        return sendProblem(res, 401, 'Deliveries for this shop must carry the webhook signature.', { slug: 'webhook-unauthenticated' });
      case 'uninstalled':
        req.log.warn({ platform: outcome.platform, shop: outcome.shop, topic: outcome.topic }, 'webhook for uninstalled shop');
        return sendProblem(res, 404, 'This shop has uninstalled the app.', { slug: 'uninstalled-shop' });
      case 'queued':
      case 'duplicate':
        return res.status(200).json({ status: outcome.status });
    }
  });
  return r;
}
