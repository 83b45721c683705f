import type { ProfileId, StoreId } from '../../model/ids.ts';
import type { ConsentState, Profile, ProfileIdentity, ProfileInput } from '../../model/profile.ts';
import type { Queryable } from '../pool.ts';

/**
 * The identifier that names an event's person in a derived unique id (ingest-events.ts): kept as
 * it was before profiles held several, so a retried call derives the same id as the first.
 */
function primaryIdentity(p: ProfileIdentity): { kind: string; value: string } {
  if (p.externalId) return { kind: 'external_id', value: p.externalId };
  if (p.email) return { kind: 'email', value: p.email };
  if (p.phone) return { kind: 'phone', value: p.phone };
  return { kind: 'anonymous_id', value: p.anonymousId! };
}

export const identityKey = (p: ProfileIdentity): string => {
  const { kind, value } = primaryIdentity(p);
  return `${kind}:${value}`;
};

/**
 * Updates what the profiles API may set on a resolved profile. Fields not given are left alone;
 * properties merge key by key. Identifiers are not set here: resolve-profiles.ts gives them.
 */
export async function updateProfileFields(db: Queryable, storeId: StoreId, id: ProfileId, p: ProfileInput): Promise<void> {
  await db.query(
    `UPDATE profiles SET first_name = COALESCE($3, first_name), last_name = COALESCE($4, last_name), timezone = COALESCE($5, timezone),
       properties = properties || $6::jsonb, email_consent = COALESCE($7, email_consent), sms_consent = COALESCE($8, sms_consent),
       updated_at = now()
     WHERE store_id = $1 AND id = $2`,
    [storeId, id, p.firstName ?? null, p.lastName ?? null, p.timezone ?? null, JSON.stringify(p.properties ?? {}), p.consent?.email ?? null, p.consent?.sms ?? null],
  );
  if (p.lists?.length) {
    // Only a new membership is queued: joining a list twice starts nothing twice (flow-trigger-queue.ts).
    await db.query(
      `WITH joined AS (
         INSERT INTO profile_lists (store_id, list, profile_id) SELECT $1, l, $3 FROM unnest($2::text[]) AS l
         ON CONFLICT DO NOTHING RETURNING list, joined_at
       )
       INSERT INTO flow_trigger_queue (store_id, kind, list, profile_id, at) SELECT $1, 'list', list, $3, joined_at FROM joined`,
      [storeId, p.lists, id],
    );
  }
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
     WHERE p.store_id = $1
       AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM profile_identifiers i WHERE i.store_id = p.store_id AND i.profile_id = p.id AND i.kind = 'email' AND i.value = $2))
       AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM profile_identifiers i WHERE i.store_id = p.store_id AND i.profile_id = p.id AND i.kind = 'phone' AND i.value = $3))
       AND ($4::text IS NULL OR EXISTS (SELECT 1 FROM profile_identifiers i WHERE i.store_id = p.store_id AND i.profile_id = p.id AND i.kind = 'external_id' AND i.value = $4))
       AND ($5::uuid IS NULL OR p.id > $5::uuid)
     ORDER BY p.id LIMIT $6`,
    [storeId, q.email ?? null, q.phone ?? null, q.externalId ?? null, q.afterId ?? null, q.limit],
  );
  return rows.map(toProfile);
}
