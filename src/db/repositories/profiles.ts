import type { ProfileId, StoreId } from '../../model/ids.ts';
import type { ConsentState, Profile, ProfileIdentity, ProfileInput } from '../../model/profile.ts';
import type { Queryable } from '../pool.ts';

type IdentityKind = 'external_id' | 'email' | 'phone';

/**
 * The identifier a profile is found by, in precedence order: the merchant's own id, then
 * email, then phone. Two events naming the same person the same way share a profile.
 */
export function primaryIdentity(p: ProfileIdentity): { kind: IdentityKind; value: string } {
  if (p.externalId) return { kind: 'external_id', value: p.externalId };
  if (p.email) return { kind: 'email', value: p.email };
  return { kind: 'phone', value: p.phone! };
}

export const identityKey = (p: ProfileIdentity): string => {
  const { kind, value } = primaryIdentity(p);
  return `${kind}:${value}`;
};

/**
 * Finds or creates a profile for every identity, set-based: one insert and one select per
 * identifier kind, whatever the batch size. Returns identityKey → profile id.
 */
export async function ensureProfiles(db: Queryable, storeId: StoreId, identities: ProfileIdentity[]): Promise<Map<string, ProfileId>> {
  const byKind = new Map<IdentityKind, Set<string>>();
  for (const identity of identities) {
    const { kind, value } = primaryIdentity(identity);
    const set = byKind.get(kind) ?? new Set();
    set.add(value);
    byKind.set(kind, set);
  }
  const result = new Map<string, ProfileId>();
  for (const [kind, set] of byKind) {
    const values = [...set].sort();
    // kind is one of three fixed column names, never user input.
    await db.query(
      `INSERT INTO profiles (store_id, ${kind}) SELECT $1, v FROM unnest($2::text[]) AS v
       ON CONFLICT (store_id, ${kind}) WHERE ${kind} IS NOT NULL DO NOTHING`,
      [storeId, values],
    );
    const { rows } = await db.query<{ id: string; v: string }>(
      `SELECT id, ${kind} AS v FROM profiles WHERE store_id = $1 AND ${kind} = ANY($2::text[])`,
      [storeId, values],
    );
    for (const r of rows) result.set(`${kind}:${r.v}`, r.id as ProfileId);
  }
  return result;
}

/**
 * Creates or updates one profile from the profiles API. Fields not given are left alone;
 * properties merge key by key. An identifier another profile already holds is not taken
 * from it (the unique index would refuse, and merging people is a deliberate act).
 */
export async function upsertProfile(db: Queryable, storeId: StoreId, p: ProfileInput): Promise<ProfileId> {
  const { rows: found } = await db.query<{ id: string }>(
    `SELECT id FROM profiles WHERE store_id = $1 AND (
       ($2::text IS NOT NULL AND external_id = $2) OR ($3::text IS NOT NULL AND email = $3) OR ($4::text IS NOT NULL AND phone = $4))
     ORDER BY (external_id = $2) IS TRUE DESC, (email = $3) IS TRUE DESC LIMIT 1 FOR UPDATE`,
    [storeId, p.externalId ?? null, p.email ?? null, p.phone ?? null],
  );
  const params = [
    storeId,
    p.externalId ?? null,
    p.email ?? null,
    p.phone ?? null,
    p.firstName ?? null,
    p.lastName ?? null,
    p.timezone ?? null,
    JSON.stringify(p.properties ?? {}),
    p.consent?.email ?? null,
    p.consent?.sms ?? null,
  ];
  let id: string;
  if (found[0]) {
    id = found[0].id;
    const free = (col: IdentityKind, param: string) =>
      `CASE WHEN ${param}::text IS NULL OR EXISTS (SELECT 1 FROM profiles q WHERE q.store_id = $1 AND q.${col} = ${param} AND q.id <> $11)
        THEN ${col} ELSE ${param} END`;
    await db.query(
      `UPDATE profiles SET external_id = ${free('external_id', '$2')}, email = ${free('email', '$3')}, phone = ${free('phone', '$4')},
         first_name = COALESCE($5, first_name), last_name = COALESCE($6, last_name), timezone = COALESCE($7, timezone),
         properties = properties || $8::jsonb, email_consent = COALESCE($9, email_consent), sms_consent = COALESCE($10, sms_consent),
         updated_at = now()
       WHERE store_id = $1 AND id = $11`,
      [...params, id],
    );
  } else {
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO profiles (store_id, external_id, email, phone, first_name, last_name, timezone, properties, email_consent, sms_consent)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, COALESCE($9, 'never_subscribed'), COALESCE($10, 'never_subscribed'))
       RETURNING id`,
      params,
    );
    id = rows[0]!.id;
  }
  if (p.lists?.length) {
    // Only a new membership is queued: joining a list twice starts nothing twice.
    await db.query(
      `WITH joined AS (
         INSERT INTO profile_lists (store_id, list, profile_id) SELECT $1, l, $3 FROM unnest($2::text[]) AS l
         ON CONFLICT DO NOTHING RETURNING list, joined_at
       )
       INSERT INTO flow_trigger_queue (store_id, kind, list, profile_id, at) SELECT $1, 'list', list, $3, joined_at FROM joined`,
      [storeId, p.lists, id],
    );
  }
  return id as ProfileId;
}

type ProfileRow = {
  id: string;
  store_id: string;
  email: string | null;
  phone: string | null;
  external_id: string | null;
  first_name: string | null;
  last_name: string | null;
  timezone: string | null;
  properties: Record<string, unknown>;
  email_consent: ConsentState;
  sms_consent: ConsentState;
  lists: string[] | null;
  created_at: Date;
  updated_at: Date;
};

function toProfile(r: ProfileRow): Profile {
  return {
    id: r.id as ProfileId,
    storeId: r.store_id as StoreId,
    email: r.email,
    phone: r.phone,
    externalId: r.external_id,
    firstName: r.first_name,
    lastName: r.last_name,
    timezone: r.timezone,
    properties: r.properties,
    consent: { email: r.email_consent, sms: r.sms_consent },
    lists: r.lists ?? [],
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export type ProfileQuery = { email?: string; phone?: string; externalId?: string; afterId?: ProfileId; limit: number };

export async function listProfiles(db: Queryable, storeId: StoreId, q: ProfileQuery): Promise<Profile[]> {
  const { rows } = await db.query<ProfileRow>(
    `SELECT p.*, (SELECT array_agg(l.list ORDER BY l.list) FROM profile_lists l
        WHERE l.store_id = p.store_id AND l.profile_id = p.id) AS lists
     FROM profiles p
     WHERE p.store_id = $1 AND ($2::text IS NULL OR p.email = $2) AND ($3::text IS NULL OR p.phone = $3)
       AND ($4::text IS NULL OR p.external_id = $4) AND ($5::uuid IS NULL OR p.id > $5::uuid)
     ORDER BY p.id LIMIT $6`,
    [storeId, q.email ?? null, q.phone ?? null, q.externalId ?? null, q.afterId ?? null, q.limit],
  );
  return rows.map(toProfile);
}
