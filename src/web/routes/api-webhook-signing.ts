// The store's webhook signing secret over the API, for a receiver set up by script: read it, or
// rotate it (the previous one keeps signing alongside until previousValidUntil).
import { Router } from 'express';
import type { AppContext } from '../../runtime.ts';
import type { AuthedLocals } from '../auth-private-key.ts';
import { rotateSigningSecret, viewSigningSecret, type SigningSecretView } from '../../stores/signing-secret.ts';

const json = (v: SigningSecretView) => ({ secret: v.secret, previousValidUntil: v.previousValidUntil?.toISOString() ?? null, rotatedAt: v.rotatedAt?.toISOString() ?? null });

export function webhookSigningRoutes(ctx: AppContext): Router {
  const r = Router();
  r.get('/webhook-signing', async (_req, res) => {
    const { store } = res.locals as AuthedLocals;
    res.set('Cache-Control', 'no-store').json(json(await viewSigningSecret(ctx.db.pool, ctx.secrets, store.id)));
  });
  r.post('/webhook-signing/rotate', async (_req, res) => {
    const { store } = res.locals as AuthedLocals;
    const view = await rotateSigningSecret(ctx.db.pool, ctx.secrets, store.id);
    ctx.logger.info({ storeId: store.id, via: 'api' }, 'webhook signing secret rotated');
    res.set('Cache-Control', 'no-store').json(json(view));
  });
  return r;
}
