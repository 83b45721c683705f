// Lists a merchant keeps by hand or by import. A list is named; memberships (profile_lists) carry
// the name, so a rename moves them in the same transaction. A new membership queues a list join
// for flows, exactly as updateProfileFields in profiles.ts does.
import type { StoreId } from '../../model/ids.ts';
import type { Queryable } from '../pool.ts';

export type ListRow = { name: string; members: number; createdAt: Date };

export async function storeLists(db: Queryable, storeId: StoreId): Promise<ListRow[]> {
  const { rows } = await db.query<{ name: string; members: number; created_at: Date }>(
    `SELECT l.name, l.created_at, (SELECT count(*)::int FROM profile_lists m WHERE m.store_id = l.store_id AND m.list = l.name) AS members
     FROM lists l WHERE l.store_id = $1 ORDER BY lower(l.name), l.name`,
    [storeId],
  );
  return rows.map((r) => ({ name: r.name, members: r.members, createdAt: r.created_at }));
}

export async function findList(db: Queryable, storeId: StoreId, name: string): Promise<ListRow | undefined> {
  const { rows } = await db.query<{ name: string; members: number; created_at: Date }>(
    `SELECT l.name, l.created_at, (SELECT count(*)::int FROM profile_lists m WHERE m.store_id = l.store_id AND m.list = l.name) AS members
     FROM lists l WHERE l.store_id = $1 AND l.name = $2`,
    [storeId, name],
  );
  const r = rows[0];
  return r && { name: r.name, members: r.members, createdAt: r.created_at };
}

/** false when the store already has a list of that name. */
export async function insertList(db: Queryable, storeId: StoreId, name: string): Promise<boolean> {
  const { rowCount } = await db.query('INSERT INTO lists (store_id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING', [storeId, name]);
  return rowCount === 1;
}

/** Moves the list and its memberships to the new name; call inside a transaction. */
export async function renameList(db: Queryable, storeId: StoreId, from: string, to: string): Promise<'renamed' | 'missing' | 'taken'> {
  const taken = await db.query('SELECT 1 FROM lists WHERE store_id = $1 AND name = $2', [storeId, to]);
  if (taken.rowCount) return 'taken';
  const { rowCount } = await db.query('UPDATE lists SET name = $3 WHERE store_id = $1 AND name = $2', [storeId, from, to]);
  if (!rowCount) return 'missing';
  await db.query('UPDATE profile_lists SET list = $3 WHERE store_id = $1 AND list = $2', [storeId, from, to]);
  await db.query('UPDATE list_imports SET list = $3 WHERE store_id = $1 AND list = $2', [storeId, from, to]);
  return 'renamed';
}

export async function deleteList(db: Queryable, storeId: StoreId, name: string): Promise<boolean> {
  await db.query('DELETE FROM profile_lists WHERE store_id = $1 AND list = $2', [storeId, name]);
  await db.query('DELETE FROM list_imports WHERE store_id = $1 AND list = $2', [storeId, name]);
  const { rowCount } = await db.query('DELETE FROM lists WHERE store_id = $1 AND name = $2', [storeId, name]);
  return rowCount === 1;
}

export type MemberRow = { profileId: string; email: string | null; phone: string | null; name: string; joinedAt: Date };

/** Members by profile id; `afterId` is the last id of the previous page. */
export async function listMembers(db: Queryable, storeId: StoreId, list: string, q: { afterId?: string | undefined; limit: number }): Promise<MemberRow[]> {
  const { rows } = await db.query<{ id: string; email: string | null; phone: string | null; first_name: string | null; last_name: string | null; joined_at: Date }>(
    `SELECT p.id, p.email, p.phone, p.first_name, p.last_name, m.joined_at FROM profile_lists m
     JOIN profiles p ON p.store_id = m.store_id AND p.id = m.profile_id
     WHERE m.store_id = $1 AND m.list = $2 AND ($3::uuid IS NULL OR m.profile_id > $3::uuid)
     ORDER BY m.profile_id LIMIT $4`,
    [storeId, list, q.afterId ?? null, q.limit],
  );
  return rows.map((r) => ({ profileId: r.id, email: r.email, phone: r.phone, name: [r.first_name, r.last_name].filter(Boolean).join(' '), joinedAt: r.joined_at }));
}

/** Adds members; only new memberships queue a list join. Returns how many joined. */
export async function addMembers(db: Queryable, storeId: StoreId, list: string, profileIds: string[]): Promise<number> {
  if (profileIds.length === 0) return 0;
  const { rows } = await db.query<{ n: number }>(
    `WITH joined AS (
       INSERT INTO profile_lists (store_id, list, profile_id) SELECT $1, $2, p FROM unnest($3::uuid[]) AS p
       ON CONFLICT DO NOTHING RETURNING profile_id, joined_at
     ), queued AS (
       INSERT INTO flow_trigger_queue (store_id, kind, list, profile_id, at) SELECT $1, 'list', $2, profile_id, joined_at FROM joined RETURNING 1
     )
     SELECT count(*)::int AS n FROM queued`,
    [storeId, list, profileIds],
  );
  return rows[0]?.n ?? 0;
}

export async function removeMember(db: Queryable, storeId: StoreId, list: string, profileId: string): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM profile_lists WHERE store_id = $1 AND list = $2 AND profile_id = $3::uuid', [storeId, list, profileId]);
  return rowCount === 1;
}

export type ImportedRow = {
  profileId: string;
  firstName?: string | undefined;
  lastName?: string | undefined;
  email?: 'subscribed' | 'unsubscribed' | undefined;
  sms?: 'subscribed' | 'unsubscribed' | undefined;
};

/**
 * What imported rows say about their profiles, in one pass: names only where the profile has none
 * (an import never overwrites what the shopper or platform gave), consent only where a row states
 * it and it differs, stamped with the source and time. A row that states what the profile already
 * has changes nothing, so importing the same file twice leaves the first stamp. One row per
 * profile. Returns how many profiles' consent changed.
 */
export async function applyImportedRows(db: Queryable, storeId: StoreId, rows: ImportedRow[], source: string): Promise<number> {
  const useful = rows.filter((r) => r.firstName || r.lastName || r.email || r.sms);
  if (useful.length === 0) return 0;
  const col = <K extends keyof ImportedRow>(k: K) => useful.map((r) => r[k] ?? null);
  const { rows: changed } = await db.query<{ consent: boolean }>(
    `UPDATE profiles p SET
       first_name = coalesce(p.first_name, x.first_name),
       last_name = coalesce(p.last_name, x.last_name),
       email_consent = coalesce(x.email, p.email_consent),
       email_consent_source = CASE WHEN x.email <> p.email_consent THEN $7 ELSE p.email_consent_source END,
       email_consent_at = CASE WHEN x.email <> p.email_consent THEN now() ELSE p.email_consent_at END,
       sms_consent = coalesce(x.sms, p.sms_consent),
       sms_consent_source = CASE WHEN x.sms <> p.sms_consent THEN $7 ELSE p.sms_consent_source END,
       sms_consent_at = CASE WHEN x.sms <> p.sms_consent THEN now() ELSE p.sms_consent_at END,
       updated_at = now()
     FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[]) AS x(profile_id, first_name, last_name, email, sms)
     WHERE p.store_id = $1 AND p.id = x.profile_id
       AND ((p.first_name IS NULL AND x.first_name IS NOT NULL) OR (p.last_name IS NULL AND x.last_name IS NOT NULL)
         OR x.email <> p.email_consent OR x.sms <> p.sms_consent)
     RETURNING (x.email IS NOT NULL AND p.email_consent_at = now()) OR (x.sms IS NOT NULL AND p.sms_consent_at = now()) AS consent`,
    [storeId, col('profileId'), col('firstName'), col('lastName'), col('email'), col('sms'), source],
  );
  return changed.filter((r) => r.consent).length;
}

export type ImportReport = {
  list: string;
  outcome: 'done' | 'stopped';
  stoppedReason: string | null;
  rowsRead: number;
  rowsImported: number;
  joined: number;
  consentRecorded: number;
  badRows: number;
  bad: Array<{ line: number; reason: string }>;
};
export type StoredImport = ImportReport & { id: string; actor: string | null; at: Date };

export async function insertImport(db: Queryable, storeId: StoreId, r: ImportReport, actor: string | null): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO list_imports (store_id, list, outcome, stopped_reason, rows_read, rows_imported, joined, consent_recorded, bad_rows, bad, actor)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11) RETURNING id`,
    [storeId, r.list, r.outcome, r.stoppedReason, r.rowsRead, r.rowsImported, r.joined, r.consentRecorded, r.badRows, JSON.stringify(r.bad), actor],
  );
  return rows[0]!.id;
}

export async function listImports(db: Queryable, storeId: StoreId, list: string, limit: number): Promise<StoredImport[]> {
  const { rows } = await db.query<{ id: string; list: string; outcome: 'done' | 'stopped'; stopped_reason: string | null; rows_read: number; rows_imported: number; joined: number; consent_recorded: number; bad_rows: number; bad: Array<{ line: number; reason: string }>; actor: string | null; at: Date }>(
    'SELECT * FROM list_imports WHERE store_id = $1 AND list = $2 ORDER BY at DESC LIMIT $3',
    [storeId, list, limit],
  );
  return rows.map((r) => ({
    id: r.id, list: r.list, outcome: r.outcome, stoppedReason: r.stopped_reason, rowsRead: r.rows_read, rowsImported: r.rows_imported,
    joined: r.joined, consentRecorded: r.consent_recorded, badRows: r.bad_rows, bad: r.bad, actor: r.actor, at: r.at,
  }));
}
