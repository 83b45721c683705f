// The support audit log as the console uses it: who changed what, and who was shown which
// shopper's data. Staff changes are written by src/accounts/staff.ts and store-setting changes by
// their use cases, each in the transaction of the change; reads are written here, before the page
// that shows the data is sent, so nothing is shown unrecorded.
import type pg from 'pg';
import type { StoreId } from '../model/ids.ts';
import { insertAudit, listAudit, type AuditEntry } from '../db/repositories/support-audit.ts';

export type { AuditEntry };

export const AUDIT_PAGE_SIZE = 50;

export type AuditPage = { entries: AuditEntry[]; olderThan: number | undefined };

/** One page of the log, newest first; `olderThan` continues it when more entries exist. */
export async function auditPage(pool: pg.Pool, q: { storeId?: StoreId | undefined; beforeId?: number | undefined } = {}, size = AUDIT_PAGE_SIZE): Promise<AuditPage> {
  const rows = await listAudit(pool, { storeId: q.storeId, beforeId: q.beforeId, limit: size + 1 });
  const entries = rows.slice(0, size);
  return { entries, olderThan: rows.length > size ? entries[entries.length - 1]!.id : undefined };
}

/** The store's newest entries. */
export async function auditTrail(pool: pg.Pool, storeId: StoreId): Promise<AuditEntry[]> {
  return (await auditPage(pool, { storeId })).entries;
}

/** `what` names the kind of data ("event properties"), `records` the rows shown ("event 42"). */
export type ShopperDataView = { actor: string; storeId: StoreId; what: string; records: string[] };

/** Records that a staff member is being shown these records of a store's shoppers. */
export async function recordView(pool: pg.Pool, v: ShopperDataView): Promise<void> {
  if (v.records.length === 0) return;
  await insertAudit(pool, { actor: v.actor, kind: 'view', storeId: v.storeId, action: `viewed ${v.what}`, target: v.records.join(', ') });
}
