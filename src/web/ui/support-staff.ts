// Staff accounts: everyone sees the list, an admin adds people with a role.
import type { Response, Router } from 'express';
import type { AppContext } from '../context.ts';
import { addStaff, allStaff, NewStaffInput } from '../../accounts/staff.ts';
import { parseForm, type FieldErrors } from './forms.ts';
import { render } from './views.ts';
import { requireAdmin, type StaffLocals } from './support-routes.ts';

export function supportStaffPages(r: Router, ctx: AppContext): void {
  const page = async (res: Response, values: Record<string, unknown> = {}, errors: FieldErrors = {}, status = 200, notice?: string) =>
    render(res, 'support/staff', { title: 'Staff', nav: 'staff', staff: await allStaff(ctx.db.pool), isAdmin: (res.locals as StaffLocals).staff.role === 'admin', values, errors, notice }, status);

  r.get('/staff', async (req, res) => page(res, {}, {}, 200, req.query.added ? 'Staff account added.' : undefined));
  r.post('/staff', requireAdmin, async (req, res) => {
    const form = parseForm(NewStaffInput, req.body);
    if (!form.ok) return page(res, form.values, form.errors, 422);
    const added = await addStaff(ctx.db.pool, form.data);
    if (!added) return page(res, { email: form.data.email, role: form.data.role }, { email: 'someone already signs in with this email' }, 422);
    ctx.logger.info({ actor: (res.locals as StaffLocals).staff.email, email: added.email, role: added.role }, 'staff account added');
    res.redirect(303, '/support/staff?added=1');
  });
}
