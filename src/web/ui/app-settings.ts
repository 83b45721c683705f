// Webhook settings: the store's signing secret, shown to the merchant so receivers can verify
// calls (docs/webhooks.md), and rotated on request. The page carries a secret: never cached.
import type { Response, Router } from 'express';
import type { AppContext } from '../../runtime.ts';
import { rotateSigningSecret, viewSigningSecret, ROTATION_OVERLAP_MS, type SigningSecretView } from '../../stores/signing-secret.ts';
import { render } from './views.ts';
import type { MerchantLocals } from './page-locals.ts';

const page = async (res: Response, view: SigningSecretView, notice?: string) => {
  res.set('Cache-Control', 'no-store');
  await render(res, 'app/webhook-settings', {
    title: 'Webhook signing',
    nav: 'webhooks',
    secret: view.secret,
    previousValidUntil: view.previousValidUntil?.toISOString() ?? null,
    rotatedAt: view.rotatedAt?.toISOString() ?? null,
    overlapHours: ROTATION_OVERLAP_MS / 3_600_000,
    notice,
  });
};

export function appSettingsPages(r: Router, ctx: AppContext): void {
  r.get('/settings/webhooks', async (_req, res) => {
    const { store } = res.locals as MerchantLocals;
    await page(res, await viewSigningSecret(ctx.db.pool, ctx.secrets, store.id));
  });
  r.post('/settings/webhooks/rotate', async (_req, res) => {
    const { store, actor } = res.locals as MerchantLocals;
    const view = await rotateSigningSecret(ctx.db.pool, ctx.secrets, store.id);
    ctx.logger.info({ storeId: store.id, actor }, 'webhook signing secret rotated');
    await page(res, view, 'A new signing secret is in use. Calls carry a signature with the previous one too until the time shown.');
  });
}
