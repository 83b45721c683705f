// Staff accounts: everyone sees the list; an admin adds people with a role, grants or revokes
// admin and removes accounts. Each change is audited by the use case that makes it.
import type { Response, Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../../runtime.ts';
import { addStaff, allStaff, changeStaffRole, NewStaffInput, removeStaff, StaffRoleInput, type StaffChange } from '../../accounts/staff.ts';
import { parseForm, type FieldErrors } from './forms.ts';
import { render } from './views.ts';
import { requireAdmin, type StaffLocals } from './page-locals.ts';

const StaffId = z.uuid();
const RoleForm = z.object({ role: StaffRoleInput });

const NOTICES: Record<string, string> = { added: 'Staff account added.', role: 'Role changed.', removed: 'Staff account removed; its sessions have ended.' };
const REFUSED_STATUS = { 'not-admin': 403, 'not-found': 404, self: 409, 'last-admin': 409 } as const;

export function supportStaffPages(r: Router, ctx: AppContext): void {
  const page = async (res: Response, values: Record<string, unknown> = {}, errors: FieldErrors = {}, status = 200, notice?: string) => {
    const me = (res.locals as StaffLocals).staff;
    await render(res, 'support/staff', { title: 'Staff', nav: 'staff', staff: await allStaff(ctx.db.pool), me: me.id, isAdmin: me.role === 'admin', values, errors, notice }, status);
  };
  /** A refused change is shown on the staff page, saying why. */
  const answer = async (res: Response, result: StaffChange, done: string) => {
    if (result.ok) return res.redirect(303, `/support/staff?done=${done}`);
    await page(res, {}, { _staff: result.message }, REFUSED_STATUS[result.reason]);
  };
  const targetOf = (raw: unknown) => StaffId.safeParse(raw);

  r.get('/staff', async (req, res) => page(res, {}, {}, 200, NOTICES[String(req.query.done ?? '')]));

  r.post('/staff', requireAdmin, async (req, res) => {
    const form = parseForm(NewStaffInput, req.body);
    if (!form.ok) return page(res, form.values, form.errors, 422);
    const added = await addStaff(ctx.db.pool, form.data, (res.locals as StaffLocals).staff.email);
    if (!added) return page(res, { email: form.data.email, role: form.data.role }, { email: 'someone already signs in with this email' }, 422);
    ctx.logger.info({ actor: (res.locals as StaffLocals).staff.email, email: added.email, role: added.role }, 'staff account added');
    res.redirect(303, '/support/staff?done=added');
  });

  r.post('/staff/:id/role', requireAdmin, async (req, res) => {
    const target = targetOf(req.params.id);
    const form = RoleForm.safeParse(req.body);
    if (!target.success) return answer(res, { ok: false, reason: 'not-found', message: 'That staff account no longer exists.' }, 'role');
    if (!form.success) return page(res, {}, { _staff: 'Choose viewer or admin.' }, 422);
    await answer(res, await changeStaffRole(ctx.db.pool, (res.locals as StaffLocals).staff.id, target.data, form.data.role), 'role');
  });

  r.post('/staff/:id/remove', requireAdmin, async (req, res) => {
    const target = targetOf(req.params.id);
    if (!target.success) return answer(res, { ok: false, reason: 'not-found', message: 'That staff account no longer exists.' }, 'removed');
    await answer(res, await removeStaff(ctx.db.pool, (res.locals as StaffLocals).staff.id, target.data), 'removed');
  });
}
