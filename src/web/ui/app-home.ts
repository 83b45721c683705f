// The merchant's start page: the onboarding checklist.
import type { Router } from 'express';
import type { AppContext } from '../../runtime.ts';
import { onboarding } from '../../merchant/onboarding.ts';
import { render } from './views.ts';
import type { MerchantLocals } from './page-locals.ts';

export function appHomePages(r: Router, ctx: AppContext): void {
  r.get('/', async (_req, res) => {
    const { store, locale } = res.locals as MerchantLocals;
    const state = await onboarding(ctx.db.pool, ctx.config, store, locale);
    const done = state.items.filter((i) => i.done).length;
    await render(res, 'app/home', { title: 'Overview', nav: 'home', store, ...state, done, total: state.items.length });
  });
}
