// Store settings: the timezone and currency dates and money show in.
// Webhook settings: the store's signing secret, shown to the merchant so receivers can verify
// calls (docs/webhooks.md), and rotated on request. The page carries a secret: never cached.
import type { Response, Router } from 'express';
import type { AppContext } from '../../runtime.ts';
import { rotateSigningSecret, viewSigningSecret, ROTATION_OVERLAP_MS, type SigningSecretView } from '../../stores/signing-secret.ts';
import { render } from './views.ts';
import { currencyChoices, saveStoreLocale, timezoneChoices } from '../../merchant/store-locale.ts';
import type { MerchantLocals } from './page-locals.ts';
import { requestWindowForm, saveRequestWindow } from '../../merchant/back-in-stock-settings.ts';

const page = async (res: Response, view: SigningSecretView, notice?: string) => {
  res.set('Cache-Control', 'no-store');
  await render(res, 'app/webhook-settings', {
    title: 'Webhook signing',
    nav: 'webhooks',
    secret: view.secret,
    previousValidUntil: view.previousValidUntil ?? null,
    rotatedAt: view.rotatedAt ?? null,
    overlapHours: ROTATION_OVERLAP_MS / 3_600_000,
    notice,
  });
};

const storePage = async (res: Response, values: Record<string, unknown>, errors: Record<string, string> = {}, status = 200, notice?: string, backInStock: Record<string, unknown> = {}) =>
  render(res, 'app/store-settings', { title: 'Store settings', nav: 'store', values, errors, timezones: timezoneChoices(), currencies: currencyChoices(), notice, backInStock }, status);

export function appSettingsPages(r: Router, ctx: AppContext): void {
  r.get('/settings/store', async (req, res) => {
    const { locale, store } = res.locals as MerchantLocals;
    const notice = req.query.done === 'saved' ? 'Saved. Dates and money now show in these.' : req.query.done === 'back-in-stock' ? 'Saved. New back-in-stock requests wait this long.' : undefined;
    await storePage(res, locale, {}, 200, notice, { values: await requestWindowForm(ctx.db.pool, store) });
  });
  r.post('/settings/back-in-stock', async (req, res) => {
    const { locale, store } = res.locals as MerchantLocals;
    const saved = await saveRequestWindow(ctx.db.pool, store, req.body);
    if (!saved.ok) return storePage(res, locale, {}, 422, undefined, { values: req.body, errors: saved.errors });
    res.redirect(303, '/app/settings/store?done=back-in-stock');
  });
  r.post('/settings/store', async (req, res) => {
    const { store } = res.locals as MerchantLocals;
    const saved = await saveStoreLocale(ctx.db.pool, store, req.body);
    if (!saved.ok) return storePage(res, req.body as Record<string, unknown>, saved.errors, 422, undefined, { values: await requestWindowForm(ctx.db.pool, store) });
    res.redirect(303, '/app/settings/store?done=saved');
  });
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
