// POST /webhooks/:platform — verify on the raw body, store, acknowledge. Normalising and writing
// happen in the worker (platforms allow a few seconds and retry on anything else). The store
// lookup and the inbox insert are one statement shared with the other requests in flight.
import express, { Router } from 'express';
import { Platform } from '../../model/store.ts';
import { coalesceCalls, type Coalesced } from '../../util/coalesce-calls.ts';
import { enqueueDeliveries, type IntakeItem, type IntakeResult } from '../../db/repositories/webhook-inbox.ts';
import type { AppContext } from '../../runtime.ts';
import { sendProblem } from '../problem.ts';
import { unstorable } from '../parse-batch.ts';

export function webhookRoutes(ctx: AppContext): Router {
  const r = Router();
  // One intake per platform: a statement names its source once and matches stores within it.
  const intakes = new Map<Platform, Coalesced<IntakeItem, IntakeResult>>();
  const intakeFor = (p: Platform) => {
    let found = intakes.get(p);
    if (!found) {
      found = coalesceCalls((items) => enqueueDeliveries(ctx.db.pool, p, items), { maxBatch: 200, maxInFlight: 1 });
      intakes.set(p, found);
    }
    return found;
  };
  r.post('/webhooks/:platform', express.raw({ type: () => true, limit: '5mb' }), async (req, res) => {
    const platform = Platform.safeParse(req.params.platform);
    const connector = platform.success ? ctx.connectors[platform.data] : undefined;
    if (!platform.success || !connector) return sendProblem(res, 404, 'No webhook endpoint for this platform.');
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const verdict = await connector.verifyWebhook({ headers: req.headers, rawBody });
    if (!verdict.ok) {
      req.log.warn({ platform: platform.data, reason: verdict.reason }, 'webhook refused');
      const status = verdict.reason === 'malformed' ? 400 : verdict.reason === 'unsupported' ? 404 : 401;
      return sendProblem(res, status, verdict.detail, { slug: `webhook-${verdict.reason}` });
    }
    // Signed is not the same as storable: jsonb refuses U+0000 and nesting some thousands deep,
    // which surfaced as a 500 on every retry. Refused as malformed instead, naming where.
    const bad = unstorable(verdict.payload);
    if (bad) {
      req.log.warn({ platform: platform.data, topic: verdict.topic, path: bad.path.slice(0, 8).map(String) }, 'webhook refused: payload cannot be stored');
      return sendProblem(res, 400, `The payload cannot be stored: ${bad.path.slice(0, 8).map(String).join('.') || '(body)'} ${bad.message}.`, { slug: 'webhook-malformed' });
    }
    const result = await intakeFor(platform.data).submit({
      shop: verdict.shop,
      deliveryId: verdict.deliveryId,
      topic: verdict.topic,
      payload: verdict.payload,
      triggeredAt: verdict.triggeredAt,
      acceptWhileUninstalled: connector.acceptsWhileUninstalled?.(verdict.topic) ?? false,
      signedWith: verdict.signedWith,
    });
    if (result.status === 'unknown-shop') {
      // Signed by the platform but for a shop we do not hold (removed, or never finished install).
      req.log.warn({ platform: platform.data, shop: verdict.shop, topic: verdict.topic }, 'webhook for unknown shop');
      return sendProblem(res, 401, 'This shop is not installed.', { slug: 'unknown-shop' });
    }
    if (result.status === 'weaker-signature') {
      // This shop's deliveries are signed; one without the signature is not from the platform.
      req.log.warn({ platform: platform.data, shop: verdict.shop, topic: verdict.topic }, 'webhook refused: signature required for this shop');
      return sendProblem(res, 401, 'Deliveries for this shop must carry the webhook signature.', { slug: 'webhook-unauthenticated' });
    }
    if (result.status === 'uninstalled') {
      // Refused rather than queued: nothing of an uninstalled shop is kept beyond what privacy law asks.
      req.log.warn({ platform: platform.data, shop: verdict.shop, topic: verdict.topic }, 'webhook for uninstalled shop');
      return sendProblem(res, 404, 'This shop has uninstalled the app.', { slug: 'uninstalled-shop' });
    }
    res.status(200).json({ status: result.status });
  });
  return r;
}
