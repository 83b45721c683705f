// Staff and merchant sign-in accounts. Passwords arrive here already hashed.
import type { StoreId } from '../../model/ids.ts';
import type { Queryable } from '../pool.ts';

export type StaffRole = 'viewer' | 'admin';
export type StaffAccount = { id: string; email: string; role: StaffRole; passwordHash: string; createdAt: Date };
export type MerchantAccount = { id: string; storeId: StoreId; email: string; passwordHash: string; createdAt: Date };

type StaffRow = { id: string; email: string; role: StaffRole; password_hash: string; created_at: Date };
type MerchantRow = { id: string; store_id: string; email: string; password_hash: string; created_at: Date };

const toStaff = (r: StaffRow): StaffAccount => ({ id: r.id, email: r.email, role: r.role, passwordHash: r.password_hash, createdAt: r.created_at });
const toMerchant = (r: MerchantRow): MerchantAccount => ({ id: r.id, storeId: r.store_id as StoreId, email: r.email, passwordHash: r.password_hash, createdAt: r.created_at });

/** Inserts the first admin only while there is no staff at all; false when someone exists. */
export async function insertFirstStaff(db: Queryable, s: { email: string; passwordHash: string }): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO staff (email, password_hash, role) SELECT $1, $2, 'admin' WHERE NOT EXISTS (SELECT 1 FROM staff)
     ON CONFLICT (email) DO NOTHING`,
    [s.email, s.passwordHash],
  );
  return (rowCount ?? 0) > 0;
}

export async function insertStaff(db: Queryable, s: { email: string; passwordHash: string; role: StaffRole }): Promise<StaffAccount | undefined> {
  const { rows } = await db.query<StaffRow>(
    'INSERT INTO staff (email, password_hash, role) VALUES ($1, $2, $3) ON CONFLICT (email) DO NOTHING RETURNING *',
    [s.email, s.passwordHash, s.role],
  );
  return rows[0] && toStaff(rows[0]);
}

export async function findStaffByEmail(db: Queryable, email: string): Promise<StaffAccount | undefined> {
  const { rows } = await db.query<StaffRow>('SELECT * FROM staff WHERE email = $1', [email]);
  return rows[0] && toStaff(rows[0]);
}

export async function findStaffById(db: Queryable, id: string): Promise<StaffAccount | undefined> {
  const { rows } = await db.query<StaffRow>('SELECT * FROM staff WHERE id = $1', [id]);
  return rows[0] && toStaff(rows[0]);
}

export async function listStaff(db: Queryable): Promise<StaffAccount[]> {
  const { rows } = await db.query<StaffRow>('SELECT * FROM staff ORDER BY email');
  return rows.map(toStaff);
}

/**
 * Locks these staff rows and every admin's, in id order, so two admins changing each other at
 * once take turns and always see the other's finished change.
 */
export async function lockStaffAndAdmins(db: Queryable, ids: string[]): Promise<StaffAccount[]> {
  const { rows } = await db.query<StaffRow>("SELECT * FROM staff WHERE id = ANY($1::uuid[]) OR role = 'admin' ORDER BY id FOR UPDATE", [ids]);
  return rows.map(toStaff);
}

export async function setStaffRole(db: Queryable, id: string, role: StaffRole): Promise<void> {
  await db.query('UPDATE staff SET role = $2 WHERE id = $1', [id, role]);
}

/** Deletes the account; its sessions go with it (web_sessions.staff_id cascades). */
export async function deleteStaff(db: Queryable, id: string): Promise<void> {
  await db.query('DELETE FROM staff WHERE id = $1', [id]);
}

/** Creates the account, or sets a new password when the address already belongs to this store. */
export async function upsertMerchantAccount(db: Queryable, a: { storeId: StoreId; email: string; passwordHash: string }): Promise<MerchantAccount | undefined> {
  const { rows } = await db.query<MerchantRow>(
    `INSERT INTO merchant_accounts (store_id, email, password_hash) VALUES ($1, $2, $3)
     ON CONFLICT (email) DO UPDATE SET password_hash = EXCLUDED.password_hash WHERE merchant_accounts.store_id = EXCLUDED.store_id
     RETURNING *`,
    [a.storeId, a.email, a.passwordHash],
  );
  return rows[0] && toMerchant(rows[0]);
}

export async function findMerchantByEmail(db: Queryable, email: string): Promise<MerchantAccount | undefined> {
  const { rows } = await db.query<MerchantRow>('SELECT * FROM merchant_accounts WHERE email = $1', [email]);
  return rows[0] && toMerchant(rows[0]);
}
