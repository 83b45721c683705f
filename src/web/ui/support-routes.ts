// The support console under /support: staff sign-in, then store lookup, the custom-catalog
// low-inventory trigger, staff accounts and the audit log. Viewers read; admins change and
// read the audit log.
import type { Response, Router } from 'express';
import type { AppContext } from '../../runtime.ts';
import { ProblemError } from '../problem.ts';
import { authenticateStaff, bootstrapStaff, staffById } from '../../accounts/staff.ts';
import { browserRouter, finishRouter } from './browser-router.ts';
import { passwordSignIn } from './password-sign-in.ts';
import { render } from './views.ts';
import { supportStorePages } from './support-stores.ts';
import { supportStaffPages } from './support-staff.ts';
import { supportAuditPages } from './support-audit.ts';
import { supportDeliveryPages } from './support-deliveries.ts';
import type { StaffLocals } from './page-locals.ts';

const loginPage = (res: Response, values: Record<string, unknown>, errors: Record<string, string>, status = 200) =>
  render(res, 'login', { title: 'Support sign-in', heading: 'Support console', values, errors }, status);

export function supportRoutes(ctx: AppContext): Router {
  const r = browserRouter(ctx, 'support');
  let bootstrapped: Promise<unknown> | undefined;
  r.use(async (_req, _res, next) => {
    // The first admin is created on first use, so every web process may try; only one row lands.
    bootstrapped ??= bootstrapStaff(ctx.db.pool, ctx.config.supportBootstrap).then((created) => {
      if (created) ctx.logger.info({ email: ctx.config.supportBootstrap.email }, 'support admin created from SUPPORT_BOOTSTRAP_EMAIL');
    });
    await bootstrapped;
    next();
  });

  passwordSignIn(r, ctx, {
    audience: 'support',
    page: loginPage,
    mismatch: 'That email and password do not match a staff account.',
    authenticate: async (email, password) => {
      const staff = await authenticateStaff(ctx.db.pool, email, password);
      return staff && { staffId: staff.id, actor: staff.email, via: 'password' };
    },
  });

  r.use(async (req, res, next) => {
    const locals = res.locals as StaffLocals & { viewer?: unknown };
    const staff = locals.session?.staffId ? await staffById(ctx.db.pool, locals.session.staffId) : undefined;
    if (!staff) {
      if (req.method === 'GET') return res.redirect(303, '/support/login');
      return next(new ProblemError(401, 'Sign in first.'));
    }
    locals.staff = staff;
    locals.viewer = { label: `${staff.email} (${staff.role})`, role: staff.role };
    next();
  });
  supportStorePages(r, ctx);
  supportStaffPages(r, ctx);
  supportAuditPages(r, ctx);
  supportDeliveryPages(r, ctx);
  finishRouter(r, ctx);
  return r;
}
