// What the merchant and support routers put in res.locals before a page handler runs, and the
// admin guard that reads it. Kept apart from the routers so the pages they mount can import it
// without importing the router back.
import type { NextFunction, Request, Response } from 'express';
import type { StaffAccount } from '../../accounts/staff.ts';
import type { Store } from '../../model/store.ts';
import type { Locale } from '../../merchant/store-locale.ts';
import { ProblemError } from '../problem.ts';
import type { SessionLocals } from '../session.ts';

export type MerchantLocals = SessionLocals & { store: Store; actor: string; locale: Locale };

export type StaffLocals = SessionLocals & { staff: StaffAccount };

/** Set when the page renders inside Shopify's admin, which loads App Bridge with the app's key. */
export type EmbedLocals = { appBridge?: { apiKey: string } };

/** Refuses a viewer: changing anything, and reading the audit log, needs the admin role. */
export function requireAdmin(_req: Request, res: Response, next: NextFunction): void {
  if ((res.locals as StaffLocals).staff.role !== 'admin') return next(new ProblemError(403, 'Your role is viewer: only an admin can do this.'));
  next();
}
