// Email + password sign-in for custom-catalog stores (platform stores sign in through their
// platform's callback instead).
import type pg from 'pg';
import { z } from 'zod';
import type { StoreId } from '../model/ids.ts';
import { findMerchantByEmail, upsertMerchantAccount, type MerchantAccount } from '../db/repositories/web-accounts.ts';
import { deletePasswordSessions } from '../db/repositories/web-sessions.ts';
import { burnVerify, generatePassword, hashPassword, verifyPassword } from './passwords.ts';

export const MerchantEmail = z.email('enter an email address').trim().toLowerCase().max(254);

export class AccountTakenError extends Error {
  override name = 'AccountTakenError';
}

/** Creates the login (or resets its password) and returns the generated password, shown once. */
export async function issueMerchantLogin(pool: pg.Pool, storeId: StoreId, email: string): Promise<{ account: MerchantAccount; password: string }> {
  const password = generatePassword();
  const account = await upsertMerchantAccount(pool, { storeId, email: MerchantEmail.parse(email), passwordHash: await hashPassword(password) });
  if (!account) throw new AccountTakenError(`${email} already signs in to another store`);
  // A reset is how an operator shuts out whoever learnt the old password: its sessions end too.
  await deletePasswordSessions(pool, storeId, account.email);
  return { account, password };
}

export async function authenticateMerchant(pool: pg.Pool, email: string, password: string): Promise<MerchantAccount | undefined> {
  const account = await findMerchantByEmail(pool, email.trim().toLowerCase());
  if (!account) return void (await burnVerify(password));
  return (await verifyPassword(password, account.passwordHash)) ? account : undefined;
}
