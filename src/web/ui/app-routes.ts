// The merchant app under /app. Custom-catalog stores sign in with email and password; platform
// stores arrive signed in from their platform's admin (embedded-app.ts, the BigCommerce load and
// Wix dashboard routes) or install callback. Every page after the guard works on
// res.locals.store, the session's store, and nothing else.
import type { Response, Router } from 'express';
import type { AppContext } from '../../runtime.ts';
import { ProblemError } from '../problem.ts';
import { authenticateMerchant } from '../../accounts/merchant-accounts.ts';
import { storeById } from '../../stores/store-lookup.ts';
import { browserRouter, finishRouter } from './browser-router.ts';
import { passwordSignIn } from './password-sign-in.ts';
import { render } from './views.ts';
import { storeLocale } from '../../merchant/store-locale.ts';
import { appHomePages } from './app-home.ts';
import { appFlowPages } from './app-flows.ts';
import { appStepPages } from './app-steps.ts';
import { appFlowGraphPages } from './app-flow-graph.ts';
import { appEmailEditorPages } from './app-email-editor.ts';
import { appCatalogPages } from './app-catalog.ts';
import { appMessagePages } from './app-messages.ts';
import { appSettingsPages } from './app-settings.ts';
import { appPrivacyPages } from './app-privacy.ts';
import { appLocationPages } from './app-locations.ts';
import { appPeoplePages } from './app-people.ts';
import { appListPages } from './app-lists.ts';
import { appSegmentPages } from './app-segments.ts';
import { embedIn, shopifyBearer, shopifyLaunch } from './embedded-app.ts';
import type { MerchantLocals } from './page-locals.ts';

const HINT = 'Shopify, BigCommerce and Wix stores open Storeflow from their admin instead; custom-catalog stores sign in here.';

const loginPage = (res: Response, values: Record<string, unknown>, errors: Record<string, string>, status = 200) =>
  render(res, 'login', { title: 'Sign in', heading: 'Sign in to Storeflow', values, errors, hint: HINT }, status);

export function appRoutes(ctx: AppContext): Router {
  const r = browserRouter(ctx, 'app', { authenticate: shopifyBearer(ctx) });
  shopifyLaunch(r, ctx);

  passwordSignIn(r, ctx, {
    audience: 'app',
    page: loginPage,
    mismatch: 'That email and password do not match an account.',
    authenticate: async (email, password) => {
      const account = await authenticateMerchant(ctx.db.pool, email, password);
      return account && { storeId: account.storeId, actor: account.email, via: 'password' };
    },
  });

  r.use(async (req, res, next) => {
    const locals = res.locals as MerchantLocals & { viewer?: unknown };
    const store = locals.session?.storeId ? await storeById({ pool: ctx.db.pool }, locals.session.storeId) : undefined;
    if (!store || store.status !== 'active') {
      if (req.method === 'GET') return res.redirect(303, '/app/login');
      return next(new ProblemError(401, 'Sign in first.'));
    }
    locals.store = store;
    locals.locale = await storeLocale(ctx.db.pool, store);
    locals.actor = locals.session!.actor ?? `${store.platform} admin`;
    // The platform admin signs the merchant in again at every launch, so inside it there is no sign-out.
    locals.viewer = { label: `${locals.actor} · ${store.domain}`, embedded: locals.session!.embedded };
    if (locals.session!.embedded) embedIn(ctx, res, store);
    next();
  });
  appHomePages(r, ctx);
  appFlowPages(r, ctx);
  appStepPages(r, ctx);
  appFlowGraphPages(r, ctx);
  appEmailEditorPages(r, ctx);
  appCatalogPages(r, ctx);
  appMessagePages(r, ctx);
  appSettingsPages(r, ctx);
  appPrivacyPages(r, ctx);
  appLocationPages(r, ctx);
  appPeoplePages(r, ctx);
  appListPages(r, ctx);
  appSegmentPages(r, ctx);
  finishRouter(r, ctx);
  return r;
}
