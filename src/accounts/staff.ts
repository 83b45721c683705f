// Support staff: the first admin comes from the environment, the rest are added by an admin.
import type pg from 'pg';
import { z } from 'zod';
import { findStaffByEmail, insertFirstStaff, insertStaff, listStaff, type StaffAccount, type StaffRole } from '../db/repositories/web-accounts.ts';
import { burnVerify, hashPassword, verifyPassword } from './passwords.ts';

export type { StaffAccount, StaffRole };

export const StaffEmail = z.email('enter an email address').trim().toLowerCase().max(254);
export const NewPassword = z.string().min(12, 'use at least 12 characters').max(200);

export const NewStaffInput = z.object({ email: StaffEmail, password: NewPassword, role: z.enum(['viewer', 'admin'], 'choose viewer or admin') });

/** Creates the bootstrap admin when the staff table is empty; true when it did. */
export async function bootstrapStaff(pool: pg.Pool, env: { email?: string | undefined; password?: string | undefined }): Promise<boolean> {
  if (!env.email || !env.password) return false;
  return insertFirstStaff(pool, { email: env.email.trim().toLowerCase(), passwordHash: await hashPassword(env.password) });
}

export async function authenticateStaff(pool: pg.Pool, email: string, password: string): Promise<StaffAccount | undefined> {
  const staff = await findStaffByEmail(pool, email.trim().toLowerCase());
  if (!staff) return void (await burnVerify(password));
  return (await verifyPassword(password, staff.passwordHash)) ? staff : undefined;
}

export async function addStaff(pool: pg.Pool, input: z.infer<typeof NewStaffInput>): Promise<StaffAccount | undefined> {
  return insertStaff(pool, { email: input.email, role: input.role, passwordHash: await hashPassword(input.password) });
}

export async function allStaff(pool: pg.Pool): Promise<StaffAccount[]> {
  return listStaff(pool);
}
