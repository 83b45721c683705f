// The support audit log: one table for every staff change, store-setting change and read of
// shopper data in the console. Rows are only ever inserted and read here; the table refuses
// UPDATE, DELETE and TRUNCATE (migration 090), so an entry stays as written.
import type { Queryable } from '../pool.ts';

export type AuditKind = 'change' | 'view';

export type NewAuditEntry = {
  /** The staff member's email, or where an automatic change came from. */
  actor: string;
  kind: AuditKind;
  action: string;
  /** The store concerned; none for staff changes. */
  storeId?: string | null;
  /** The record acted on or shown: a staff email, event ids, a profile id. */
  target?: string | null;
  before?: unknown;
  after?: unknown;
};

export type AuditEntry = {
  id: number;
  kind: AuditKind;
  storeId: string | null;
  actor: string;
  action: string;
  target: string | null;
  before: unknown;
  after: unknown;
  at: Date;
};

export async function insertAudit(db: Queryable, a: NewAuditEntry): Promise<void> {
  await db.query('INSERT INTO support_audit (store_id, kind, actor, action, target, before, after) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb)', [
    a.storeId ?? null,
    a.kind,
    a.actor,
    a.action,
    a.target ?? null,
    JSON.stringify(a.before ?? null),
    JSON.stringify(a.after ?? null),
  ]);
}

/** Newest first; `beforeId` continues from the last entry of the previous page. */
export async function listAudit(db: Queryable, q: { storeId?: string | undefined; beforeId?: number | undefined; limit: number }): Promise<AuditEntry[]> {
  const { rows } = await db.query<AuditEntry>(
    `SELECT id::int AS id, kind, store_id AS "storeId", actor, action, target, before, after, at FROM support_audit
     WHERE ($1::uuid IS NULL OR store_id = $1) AND ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $3`,
    [q.storeId ?? null, q.beforeId ?? null, q.limit],
  );
  return rows;
}
