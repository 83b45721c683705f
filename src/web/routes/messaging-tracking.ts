// GET /o/:token (open pixel) and GET /c/:token (click redirect). Only tokens we signed are acted
// on; the redirect target comes from inside the signed token, never from the query string.
import { Router } from 'express';
import type { AppContext } from '../../runtime.ts';
import { messageLinkKey } from '../../messaging/links.ts';
import { trackClick, trackOpen } from '../../messaging/tracking.ts';
import { sendProblem } from '../problem.ts';

const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

export function messagingTrackingRoutes(ctx: AppContext): Router {
  const key = messageLinkKey(ctx.secrets);
  const r = Router();
  r.get('/o/:token', async (req, res) => {
    if (!(await trackOpen(ctx.db.pool, key, req.params.token, new Date()))) {
      return sendProblem(res, 400, 'This tracking link is not valid.', { slug: 'invalid-link' });
    }
    // Webmail shows the image from its own origin; the default same-origin policy would block it.
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    res.setHeader('Cache-Control', 'no-store, max-age=0');
    res.type('image/gif').send(PIXEL);
  });
  r.get('/c/:token', async (req, res) => {
    const target = await trackClick(ctx.db.pool, key, req.params.token, new Date());
    if (!target) return sendProblem(res, 400, 'This link is not valid; it may have been altered.', { slug: 'invalid-link' });
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.redirect(302, target);
  });
  return r;
}
