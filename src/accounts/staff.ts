// Support staff: the first admin comes from the environment, the rest are added by an admin.
// Every change to who has access (added, admin granted or revoked, removed) is written to the
// support audit log in the same transaction, naming who did it and to whom.
import type pg from 'pg';
import { z } from 'zod';
import { withTransaction } from '../db/pool.ts';
import { deleteStaff, findStaffByEmail, findStaffById, insertFirstStaff, insertStaff, listStaff, lockStaffAndAdmins, setStaffRole, type StaffAccount, type StaffRole } from '../db/repositories/web-accounts.ts';
import { insertAudit } from '../db/repositories/support-audit.ts';
import { burnVerify, hashPassword, verifyPassword } from './passwords.ts';

export type { StaffAccount, StaffRole };

export const StaffEmail = z.email('enter an email address').trim().toLowerCase().max(254);
export const NewPassword = z.string().min(12, 'use at least 12 characters').max(200);
export const StaffRoleInput = z.enum(['viewer', 'admin'], 'choose viewer or admin');

export const NewStaffInput = z.object({ email: StaffEmail, password: NewPassword, role: StaffRoleInput });

/** Who the audit log names for the first admin, which no one signed in to create. */
export const BOOTSTRAP_ACTOR = 'SUPPORT_BOOTSTRAP_EMAIL (environment)';

/** Creates the bootstrap admin when the staff table is empty; true when it did. */
export async function bootstrapStaff(pool: pg.Pool, env: { email?: string | undefined; password?: string | undefined }): Promise<boolean> {
  if (!env.email || !env.password) return false;
  const email = env.email.trim().toLowerCase();
  const passwordHash = await hashPassword(env.password);
  return withTransaction(pool, async (tx) => {
    const created = await insertFirstStaff(tx, { email, passwordHash });
    if (created) await insertAudit(tx, { actor: BOOTSTRAP_ACTOR, kind: 'change', action: 'staff added as admin', target: email, after: { role: 'admin' } });
    return created;
  });
}

export async function authenticateStaff(pool: pg.Pool, email: string, password: string): Promise<StaffAccount | undefined> {
  const staff = await findStaffByEmail(pool, email.trim().toLowerCase());
  if (!staff) return void (await burnVerify(password));
  return (await verifyPassword(password, staff.passwordHash)) ? staff : undefined;
}

/** Adds an account; undefined when the email is taken. `actor` is the admin's email. */
export async function addStaff(pool: pg.Pool, input: z.infer<typeof NewStaffInput>, actor: string): Promise<StaffAccount | undefined> {
  const passwordHash = await hashPassword(input.password);
  return withTransaction(pool, async (tx) => {
    const added = await insertStaff(tx, { email: input.email, role: input.role, passwordHash });
    if (added) await insertAudit(tx, { actor, kind: 'change', action: `staff added as ${added.role}`, target: added.email, after: { role: added.role } });
    return added;
  });
}

/** The staff account a support session belongs to; undefined once it was removed. */
export async function staffById(pool: pg.Pool, id: string): Promise<StaffAccount | undefined> {
  return findStaffById(pool, id);
}

export async function allStaff(pool: pg.Pool): Promise<StaffAccount[]> {
  return listStaff(pool);
}

export type StaffChange = { ok: true; staff: StaffAccount } | { ok: false; reason: 'not-admin' | 'not-found' | 'self' | 'last-admin'; message: string };

const refuse = (reason: Exclude<StaffChange, { ok: true }>['reason'], message: string): StaffChange => ({ ok: false, reason, message });

/**
 * Runs a change of `targetId` by `actorId` with both rows and every admin locked, after checking
 * that the actor is still an admin (a role revoked a moment ago counts) and the target exists.
 */
async function changeStaff(
  pool: pg.Pool,
  actorId: string,
  targetId: string,
  change: (tx: pg.PoolClient, actor: StaffAccount, target: StaffAccount, admins: StaffAccount[]) => Promise<StaffChange>,
): Promise<StaffChange> {
  return withTransaction(pool, async (tx) => {
    const locked = await lockStaffAndAdmins(tx, [actorId, targetId]);
    const actor = locked.find((s) => s.id === actorId);
    if (actor?.role !== 'admin') return refuse('not-admin', 'Your role is viewer: only an admin can do this.');
    const target = locked.find((s) => s.id === targetId);
    if (!target) return refuse('not-found', 'That staff account no longer exists.');
    return change(tx, actor, target, locked.filter((s) => s.role === 'admin'));
  });
}

/** Grants or revokes admin. Revoking your own is allowed while another admin remains. */
export async function changeStaffRole(pool: pg.Pool, actorId: string, targetId: string, role: StaffRole): Promise<StaffChange> {
  return changeStaff(pool, actorId, targetId, async (tx, actor, target, admins) => {
    if (target.role === role) return { ok: true, staff: target };
    if (target.role === 'admin' && admins.length <= 1) return refuse('last-admin', `${target.email} is the last admin. Make someone else an admin first.`);
    await setStaffRole(tx, target.id, role);
    await insertAudit(tx, { actor: actor.email, kind: 'change', action: role === 'admin' ? 'admin granted' : 'admin revoked', target: target.email, before: { role: target.role }, after: { role } });
    return { ok: true, staff: { ...target, role } };
  });
}

/** Removes an account and, with it, every session it has open. */
export async function removeStaff(pool: pg.Pool, actorId: string, targetId: string): Promise<StaffChange> {
  return changeStaff(pool, actorId, targetId, async (tx, actor, target, admins) => {
    if (target.id === actor.id) return refuse('self', 'You cannot remove your own account. Another admin can.');
    if (target.role === 'admin' && admins.length <= 1) return refuse('last-admin', `${target.email} is the last admin. Make someone else an admin first.`);
    await deleteStaff(tx, target.id);
    await insertAudit(tx, { actor: actor.email, kind: 'change', action: 'staff removed', target: target.email, before: { role: target.role } });
    return { ok: true, staff: target };
  });
}
