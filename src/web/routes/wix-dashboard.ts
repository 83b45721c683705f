// The Wix dashboard page: Wix frames GET /wix/dashboard?instance=<signed instance>&… inside the
// site's dashboard. A fresh instance signed with our app secret, naming an installed site and its
// owner, signs the merchant in to that store alone, once, with the cookie made for an iframe.
import { Router } from 'express';
import { z } from 'zod';
import { MAX_AGE_MS, verifySignedInstance } from '../../../connectors/wix/signed-instance.ts';
import { storeForShop } from '../../stores/store-lookup.ts';
import type { AppContext } from '../../runtime.ts';
import { allowFramingBy, wixAdmins } from '../frame-ancestors.ts';
import { ProblemError } from '../problem.ts';
import { startSession } from '../session.ts';
import { spendSignInProof } from '../sign-in-proof.ts';

const DashboardQuery = z.object({ instance: z.string().min(1).max(8192) });

export function wixDashboardRoutes(ctx: AppContext): Router {
  const r = Router();

  r.get('/wix/dashboard', async (req, res) => {
    const { appId, appSecret } = ctx.config.wix;
    if (!appId || !appSecret) throw new ProblemError(503, 'The Wix app is not configured on this server (WIX_APP_ID, WIX_APP_SECRET).', { slug: 'wix-not-configured' });
    const q = DashboardQuery.safeParse(req.query);
    if (!q.success) throw new ProblemError(400, 'Open Storeflow from your Wix dashboard; this address needs the instance Wix adds.', { slug: 'wix-no-instance' });
    const verdict = verifySignedInstance(q.data.instance, { appId, appSecret });
    if (!verdict.ok) {
      req.log.warn({ reason: verdict.reason }, 'wix dashboard launch refused');
      throw new ProblemError(401, `Wix did not sign this launch for Storeflow, or it has expired (${verdict.reason}). Reload the page in your Wix dashboard.`, {
        slug: 'wix-bad-instance',
      });
    }
    const store = await storeForShop({ pool: ctx.db.pool }, 'wix', verdict.instance.instanceId);
    if (!store || store.status !== 'active') {
      throw new ProblemError(404, 'Storeflow is not installed on this Wix site; install it from the Wix App Market first.', { slug: 'unknown-store' });
    }
    // A launch signs in once; the instance is remembered until it would have expired anyway.
    const expiresAt = new Date(verdict.instance.signedAt.getTime() + MAX_AGE_MS);
    await spendSignInProof(ctx, 'wix-instance', q.data.instance, expiresAt, 'Reload the page in your Wix dashboard.');
    await startSession(ctx, res, 'app', {
      storeId: store.id,
      actor: `wix user ${verdict.instance.userId}`,
      via: 'wix',
      subject: `wix:${verdict.instance.userId}`,
      embedded: true,
    });
    req.log.info({ storeId: store.id, userId: verdict.instance.userId }, 'wix dashboard signed in');
    allowFramingBy(res, ctx.config, wixAdmins());
    res.redirect(303, '/app');
  });

  return r;
}
