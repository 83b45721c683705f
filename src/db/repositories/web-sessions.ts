// Server-side browser sessions, looked up by the hash of the cookie's random id.
import type { StoreId } from '../../model/ids.ts';
import type { Queryable } from '../pool.ts';

export type Audience = 'app' | 'support';

export type WebSession = {
  idHash: Buffer;
  audience: Audience;
  csrfToken: string;
  staffId: string | null;
  storeId: StoreId | null;
  actor: string | null;
  via: string | null;
  /** The platform user a launch named (e.g. "bigcommerce:24654"); null for a password sign-in. */
  subject: string | null;
  /** Started from a platform admin's launch, inside its iframe. */
  embedded: boolean;
  expiresAt: Date;
};

type Row = {
  id_hash: Buffer;
  audience: Audience;
  csrf_token: string;
  staff_id: string | null;
  store_id: string | null;
  actor: string | null;
  via: string | null;
  subject: string | null;
  embedded: boolean;
  expires_at: Date;
};

const toSession = (r: Row): WebSession => ({
  idHash: r.id_hash,
  audience: r.audience,
  csrfToken: r.csrf_token,
  staffId: r.staff_id,
  storeId: r.store_id as StoreId | null,
  actor: r.actor,
  via: r.via,
  subject: r.subject,
  embedded: r.embedded,
  expiresAt: r.expires_at,
});

export async function insertSession(
  db: Queryable,
  s: {
    idHash: Buffer;
    audience: Audience;
    csrfToken: string;
    staffId?: string | null;
    storeId?: StoreId | null;
    actor?: string | null;
    via?: string | null;
    subject?: string | null;
    embedded?: boolean;
    expiresAt: Date;
  },
): Promise<void> {
  await db.query(
    `INSERT INTO web_sessions (id_hash, audience, csrf_token, staff_id, store_id, actor, via, subject, embedded, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [s.idHash, s.audience, s.csrfToken, s.staffId ?? null, s.storeId ?? null, s.actor ?? null, s.via ?? null, s.subject ?? null, s.embedded ?? false, s.expiresAt],
  );
}

export async function findSession(db: Queryable, idHash: Buffer, audience: Audience, now: Date): Promise<WebSession | undefined> {
  const { rows } = await db.query<Row>('SELECT * FROM web_sessions WHERE id_hash = $1 AND audience = $2 AND expires_at > $3', [idHash, audience, now]);
  return rows[0] && toSession(rows[0]);
}

export async function deleteSession(db: Queryable, idHash: Buffer): Promise<void> {
  await db.query('DELETE FROM web_sessions WHERE id_hash = $1', [idHash]);
}

export async function deleteExpiredSessions(db: Queryable, now: Date): Promise<number> {
  const { rowCount } = await db.query('DELETE FROM web_sessions WHERE expires_at <= $1', [now]);
  return rowCount ?? 0;
}

/** Ends every session a platform user holds in one store (the platform removed the user). */
export async function deleteSubjectSessions(db: Queryable, storeId: StoreId, subject: string): Promise<number> {
  const { rowCount } = await db.query('DELETE FROM web_sessions WHERE store_id = $1 AND subject = $2', [storeId, subject]);
  return rowCount ?? 0;
}

/** Ends the merchant-app sessions a password account opened (its password was reset). */
export async function deletePasswordSessions(db: Queryable, storeId: StoreId, email: string): Promise<number> {
  const { rowCount } = await db.query("DELETE FROM web_sessions WHERE audience = 'app' AND store_id = $1 AND via = 'password' AND actor = $2", [storeId, email]);
  return rowCount ?? 0;
}
