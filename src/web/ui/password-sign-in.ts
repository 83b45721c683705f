// Email-and-password sign-in, the same for merchants (/app) and staff (/support): the form,
// the throttle, the session it starts and the sign-out.
import type { Response, Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../../runtime.ts';
import { ensureSession, endSession, startSession, type Audience, type Principal } from '../session.ts';
import { parseForm } from './forms.ts';
import { accountOf, loginLimiter } from './login-limit.ts';

const LoginForm = z.object({ email: z.string().trim().min(1, 'enter your email'), password: z.string().min(1, 'enter your password') });

export type LoginPage = (res: Response, values: Record<string, unknown>, errors: Record<string, string>, status?: number) => Promise<void> | void;

export function passwordSignIn(
  r: Router,
  ctx: AppContext,
  o: {
    audience: Audience;
    page: LoginPage;
    /** The principal the account signs in as, or undefined when email and password do not match. */
    authenticate: (email: string, password: string) => Promise<Principal | undefined>;
    mismatch: string;
  },
): void {
  const home = `/${o.audience}`;
  r.get('/login', async (_req, res) => {
    await ensureSession(ctx, res, o.audience);
    await o.page(res, {}, {});
  });
  r.post(
    '/login',
    ...loginLimiter(ctx.db.pool, o.audience, async (req, res) => {
      req.log.warn({ audience: o.audience }, 'sign-in throttled');
      await o.page(res, { email: accountOf(req) }, { _form: 'Too many sign-in attempts. Wait 15 minutes and try again.' }, 429);
    }),
    async (req, res) => {
      const form = parseForm(LoginForm, req.body);
      if (!form.ok) return o.page(res, form.values, form.errors, 422);
      const principal = await o.authenticate(form.data.email, form.data.password);
      if (!principal) return o.page(res, { email: form.data.email }, { _form: o.mismatch }, 401);
      await startSession(ctx, res, o.audience, principal);
      res.redirect(303, home);
    },
  );
  r.post('/logout', async (_req, res) => {
    await endSession(ctx, res, o.audience);
    res.redirect(303, `${home}/login`);
  });
}
