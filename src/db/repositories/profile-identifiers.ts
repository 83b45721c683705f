// Who owns which identifier, and the two ways profiles change hands: an identifier joining a
// profile, and one profile merging into another. The deciding is in ingest/resolve-profiles.ts.
import type { ProfileId, StoreId } from '../../model/ids.ts';
import type { Identifier, IdentifierKind } from '../../model/profile.ts';
import type { Queryable } from '../pool.ts';

export type Owned = Identifier & { profileId: ProfileId };

export const identifierKey = (i: Identifier): string => `${i.kind}:${i.value}`;

/** Sorted by kind then value: every writer inserts and locks identifiers in one global order. */
function sorted<T extends Identifier>(list: T[]): T[] {
  return [...list].sort((a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
}

/** The current owner of each identifier that has one, by identifierKey. */
export async function findOwners(db: Queryable, storeId: StoreId, ids: Identifier[]): Promise<Map<string, ProfileId>> {
  const out = new Map<string, ProfileId>();
  if (ids.length === 0) return out;
  const { rows } = await db.query<{ kind: IdentifierKind; value: string; profile_id: string }>(
    `SELECT i.kind, i.value, i.profile_id FROM unnest($2::text[], $3::text[]) AS x(kind, value)
     JOIN profile_identifiers i ON i.store_id = $1 AND i.kind = x.kind AND i.value = x.value`,
    [storeId, ids.map((i) => i.kind), ids.map((i) => i.value)],
  );
  for (const r of rows) out.set(`${r.kind}:${r.value}`, r.profile_id as ProfileId);
  return out;
}

/** Every identifier these profiles hold. */
export async function identifiersOfProfiles(db: Queryable, storeId: StoreId, profileIds: ProfileId[]): Promise<Owned[]> {
  if (profileIds.length === 0) return [];
  const { rows } = await db.query<{ kind: IdentifierKind; value: string; profile_id: string }>(
    'SELECT kind, value, profile_id FROM profile_identifiers WHERE store_id = $1 AND profile_id = ANY($2::uuid[])',
    [storeId, profileIds],
  );
  return rows.map((r) => ({ kind: r.kind, value: r.value, profileId: r.profile_id as ProfileId }));
}

/**
 * New profiles with the addresses they show. A profile whose email, phone or customer id another
 * has meanwhile taken is not made: returned are the ids that were.
 */
export async function createProfiles(
  db: Queryable,
  storeId: StoreId,
  rows: Array<{ id: ProfileId; externalId?: string | undefined; email?: string | undefined; phone?: string | undefined }>,
): Promise<Set<ProfileId>> {
  if (rows.length === 0) return new Set();
  const { rows: made } = await db.query<{ id: string }>(
    `INSERT INTO profiles (store_id, id, external_id, email, phone)
     SELECT $1, id, external_id, email, phone FROM jsonb_to_recordset($2::jsonb) AS x(id uuid, external_id text, email text, phone text)
     ON CONFLICT DO NOTHING RETURNING id`,
    [storeId, JSON.stringify(rows.map((r) => ({ id: r.id, external_id: r.externalId ?? null, email: r.email ?? null, phone: r.phone ?? null })))],
  );
  return new Set(made.map((r) => r.id as ProfileId));
}

/**
 * Gives identifiers to profiles unless someone already holds them. A concurrent transaction
 * claiming the same identifier makes this one wait for it and then skip: returned are only the
 * identifiers this call took, so the caller sees what it lost.
 */
export async function claimIdentifiers(db: Queryable, storeId: StoreId, claims: Owned[], opts: { shown?: Set<ProfileId> } = {}): Promise<Set<string>> {
  if (claims.length === 0) return new Set();
  const list = sorted(claims);
  const { rows } = await db.query<{ kind: string; value: string }>(
    `INSERT INTO profile_identifiers (store_id, kind, value, profile_id)
     SELECT $1, kind, value, profile_id FROM unnest($2::text[], $3::text[], $4::uuid[]) WITH ORDINALITY AS x(kind, value, profile_id, n)
     ORDER BY n
     ON CONFLICT (store_id, kind, value) DO NOTHING
     RETURNING kind, value`,
    [storeId, list.map((c) => c.kind), list.map((c) => c.value), list.map((c) => c.profileId)],
  );
  const taken = new Set(rows.map((r) => `${r.kind}:${r.value}`));
  // A profile without an address to show takes the first one it is given of each kind (those
  // made by createProfiles were given theirs).
  const shown = new Map<string, { profile_id: string; external_id?: string; email?: string; phone?: string }>();
  for (const c of claims) {
    if (c.kind === 'anonymous_id' || opts.shown?.has(c.profileId) || !taken.has(`${c.kind}:${c.value}`)) continue;
    const row = shown.get(c.profileId) ?? { profile_id: c.profileId };
    row[c.kind] ??= c.value;
    shown.set(c.profileId, row);
  }
  if (shown.size > 0) {
    await db.query(
      `UPDATE profiles p SET external_id = COALESCE(p.external_id, x.external_id), email = COALESCE(p.email, x.email),
         phone = COALESCE(p.phone, x.phone), updated_at = now()
       FROM jsonb_to_recordset($2::jsonb) AS x(profile_id uuid, external_id text, email text, phone text)
       WHERE p.store_id = $1 AND p.id = x.profile_id`,
      [storeId, JSON.stringify([...shown.values()])],
    );
  }
  return taken;
}

/** Profiles this transaction made and gave up on (an identifier went to another first). */
export async function deleteProfiles(db: Queryable, storeId: StoreId, ids: ProfileId[]): Promise<void> {
  if (ids.length === 0) return;
  await db.query('DELETE FROM profiles WHERE store_id = $1 AND id = ANY($2::uuid[])', [storeId, ids]);
}

/**
 * Locks profiles in id order (every writer does, so two merges cannot deadlock) and returns
 * those that still exist with their age: a profile merged away meanwhile is missing.
 */
export async function lockProfiles(db: Queryable, storeId: StoreId, ids: ProfileId[]): Promise<Array<{ id: ProfileId; createdAt: Date }>> {
  if (ids.length === 0) return [];
  const { rows } = await db.query<{ id: string; created_at: Date }>(
    'SELECT id, created_at FROM profiles WHERE store_id = $1 AND id = ANY($2::uuid[]) ORDER BY id FOR UPDATE',
    [storeId, [...new Set(ids)].sort()],
  );
  return rows.map((r) => ({ id: r.id as ProfileId, createdAt: r.created_at }));
}

/**
 * Holds the profiles against a merge until commit, so events written for them cannot land on a
 * profile that a concurrent merge deletes. Returns those that still exist.
 */
export async function lockProfilesShared(db: Queryable, storeId: StoreId, ids: ProfileId[]): Promise<Set<ProfileId>> {
  if (ids.length === 0) return new Set();
  const { rows } = await db.query<{ id: string }>(
    'SELECT id FROM profiles WHERE store_id = $1 AND id = ANY($2::uuid[]) ORDER BY id FOR KEY SHARE',
    [storeId, [...new Set(ids)].sort()],
  );
  return new Set(rows.map((r) => r.id as ProfileId));
}

/**
 * Moves everything of `loser` to `survivor` and deletes `loser`, recording the merge. Both must
 * be locked by the caller. Consent takes the stricter state per channel, properties and names
 * keep the survivor's where both have one, lists and segments are the union. Two live runs of
 * one flow become one: the earlier entry goes on, the other ends, so the person gets one message.
 */
export async function mergeProfileInto(
  db: Queryable,
  storeId: StoreId,
  survivor: ProfileId,
  loser: ProfileId,
  joinedBy: Identifier[],
): Promise<void> {
  const args = [storeId, survivor, loser];
  await db.query('UPDATE profile_identifiers SET profile_id = $2 WHERE store_id = $1 AND profile_id = $3', args);
  await db.query('UPDATE events SET profile_id = $2 WHERE store_id = $1 AND profile_id = $3', args);
  await db.query('UPDATE flow_trigger_queue SET profile_id = $2 WHERE store_id = $1 AND profile_id = $3', args);
  await db.query('UPDATE messages SET profile_id = $2 WHERE store_id = $1 AND profile_id = $3', args);
  await db.query('UPDATE outbound_calls SET profile_id = $2 WHERE store_id = $1 AND profile_id = $3', args);
  // Back-in-stock requests follow the person; where both asked for one variant, the older request stays.
  await db.query(
    `DELETE FROM back_in_stock_requests l WHERE l.store_id = $1 AND l.profile_id = $3 AND l.notified_at IS NULL
       AND EXISTS (SELECT 1 FROM back_in_stock_requests s WHERE s.store_id = $1 AND s.profile_id = $2
                   AND s.variant_id = l.variant_id AND s.notified_at IS NULL)`,
    args,
  );
  await db.query('UPDATE back_in_stock_requests SET profile_id = $2 WHERE store_id = $1 AND profile_id = $3', args);
  await db.query(
    `WITH gone AS (DELETE FROM profile_lists WHERE store_id = $1 AND profile_id = $3 RETURNING list, joined_at)
     INSERT INTO profile_lists (store_id, list, profile_id, joined_at) SELECT $1, list, $2, joined_at FROM gone ON CONFLICT DO NOTHING`,
    args,
  );
  await db.query(
    `WITH gone AS (DELETE FROM segment_members WHERE store_id = $1 AND profile_id = $3 RETURNING segment_id, entered_at)
     INSERT INTO segment_members (store_id, segment_id, profile_id, entered_at) SELECT $1, segment_id, $2, entered_at FROM gone ON CONFLICT DO NOTHING`,
    args,
  );
  // "Once" flows key the run by the profile: the loser's key is renamed to the survivor's, or,
  // when the survivor has its own, to one that cannot collide (that run is ended below).
  await db.query(
    `UPDATE flow_runs r SET profile_id = $2::uuid,
       key = CASE WHEN r.key <> 'once:' || $3::uuid::text THEN r.key
                  WHEN EXISTS (SELECT 1 FROM flow_runs s WHERE s.store_id = $1 AND s.flow_id = r.flow_id AND s.key = 'once:' || $2::uuid::text)
                    THEN 'once:' || $2::uuid::text || ':merged:' || $3::uuid::text
                  ELSE 'once:' || $2::uuid::text END
     WHERE r.store_id = $1 AND r.profile_id = $3::uuid`,
    args,
  );
  await db.query(
    `UPDATE flow_runs r SET status = 'exited', current_step = NULL, next_at = NULL, wait_metric = NULL, ended_at = now(),
       end_reason = 'profile merged: another run of this flow goes on', lease_token = NULL, lease_until = NULL
     FROM (SELECT id, row_number() OVER (PARTITION BY flow_id ORDER BY entered_at, id) AS n
           FROM flow_runs WHERE store_id = $1 AND profile_id = $2 AND status IN ('active', 'waiting', 'paused')) ranked
     WHERE r.store_id = $1 AND r.id = ranked.id AND ranked.n > 1`,
    [storeId, survivor],
  );
  const strict = (col: string) =>
    `CASE WHEN 'unsubscribed' IN (s.${col}, l.${col}) THEN 'unsubscribed'
          WHEN 'subscribed' IN (s.${col}, l.${col}) THEN 'subscribed' ELSE 'never_subscribed' END`;
  // The loser goes first: its email or phone may move into the survivor's unique columns.
  const { rows: gone } = await db.query<{ row: Record<string, unknown> }>(
    'DELETE FROM profiles p WHERE store_id = $1 AND id = $2 RETURNING to_jsonb(p) AS row',
    [storeId, loser],
  );
  await db.query(
    `UPDATE profiles s SET
       external_id = COALESCE(s.external_id, l.external_id), email = COALESCE(s.email, l.email), phone = COALESCE(s.phone, l.phone),
       first_name = COALESCE(s.first_name, l.first_name), last_name = COALESCE(s.last_name, l.last_name),
       timezone = COALESCE(s.timezone, l.timezone), properties = l.properties || s.properties,
       email_consent = ${strict('email_consent')}, sms_consent = ${strict('sms_consent')},
       created_at = LEAST(s.created_at, l.created_at), updated_at = now()
     FROM jsonb_populate_record(NULL::profiles, $3::jsonb) l WHERE s.store_id = $1 AND s.id = $2`,
    [storeId, survivor, JSON.stringify(gone[0]?.row ?? {})],
  );
  await recordMerge(db, storeId, 'merged', survivor, loser, joinedBy, null);
}

export async function recordMerge(
  db: Queryable,
  storeId: StoreId,
  outcome: 'merged' | 'conflict',
  survivor: ProfileId,
  other: ProfileId | null,
  identifiers: Identifier[],
  reason: string | null,
): Promise<void> {
  // A conflict is recorded once: the same two people meet again on every later event.
  await db.query(
    `INSERT INTO profile_merges (store_id, outcome, survivor_id, other_id, identifiers, reason)
     SELECT $1, $2, $3, $4, $5::jsonb, $6
     WHERE $2 = 'merged' OR NOT EXISTS (SELECT 1 FROM profile_merges m WHERE m.store_id = $1 AND m.outcome = 'conflict'
       AND m.survivor_id = $3 AND m.other_id IS NOT DISTINCT FROM $4::uuid AND m.identifiers = $5::jsonb)`,
    [storeId, outcome, survivor, other, JSON.stringify(identifiers), reason],
  );
}

export type MergeRecord = { outcome: 'merged' | 'conflict'; survivorId: ProfileId; otherId: ProfileId | null; identifiers: Identifier[]; reason: string | null; at: Date };

export async function listMerges(db: Queryable, storeId: StoreId): Promise<MergeRecord[]> {
  const { rows } = await db.query<{ outcome: 'merged' | 'conflict'; survivor_id: string; other_id: string | null; identifiers: Identifier[]; reason: string | null; at: Date }>(
    'SELECT outcome, survivor_id, other_id, identifiers, reason, at FROM profile_merges WHERE store_id = $1 ORDER BY id',
    [storeId],
  );
  return rows.map((r) => ({ outcome: r.outcome, survivorId: r.survivor_id as ProfileId, otherId: r.other_id as ProfileId | null, identifiers: r.identifiers, reason: r.reason, at: r.at }));
}
