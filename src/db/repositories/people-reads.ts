// What the merchant's people pages read: search over every identifier and the name, and one
// profile's identifiers, consent record, events, flow runs and messages. Pages run by id
// (profiles) or by the row's sequence number (events, messages), newest first where time matters.
import type { ProfileId, StoreId } from '../../model/ids.ts';
import type { ConsentState } from '../../model/profile.ts';
import type { Queryable } from '../pool.ts';

export type PersonRow = {
  id: ProfileId;
  email: string | null;
  phone: string | null;
  externalId: string | null;
  name: string;
  emailConsent: ConsentState;
  smsConsent: ConsentState;
  createdAt: Date;
};

type Row = { id: string; email: string | null; phone: string | null; external_id: string | null; first_name: string | null; last_name: string | null; email_consent: ConsentState; sms_consent: ConsentState; created_at: Date };
const toPerson = (r: Row): PersonRow => ({
  id: r.id as ProfileId, email: r.email, phone: r.phone, externalId: r.external_id,
  name: [r.first_name, r.last_name].filter(Boolean).join(' '), emailConsent: r.email_consent, smsConsent: r.sms_consent, createdAt: r.created_at,
});

/** LIKE's wildcards taken literally: a search for "a_b" finds a_b only. */
const literal = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * Profiles whose email, phone or external id (any they hold, not only the one shown) starts with
 * the text, or whose name contains it; all profiles when the text is empty. Ordered by id.
 */
export async function searchPeople(db: Queryable, storeId: StoreId, q: { text: string; afterId?: string | undefined; limit: number }): Promise<PersonRow[]> {
  const text = q.text.trim().toLowerCase();
  const { rows } = await db.query<Row>(
    `SELECT p.id, p.email, p.phone, p.external_id, p.first_name, p.last_name, p.email_consent, p.sms_consent, p.created_at
     FROM profiles p
     WHERE p.store_id = $1 AND ($3::uuid IS NULL OR p.id > $3::uuid)
       AND ($2 = '' OR p.id IN (
         SELECT i.profile_id FROM profile_identifiers i
         WHERE i.store_id = $1 AND i.kind <> 'anonymous_id' AND lower(i.value) LIKE $4 || '%'
         UNION ALL
         SELECT n.id FROM profiles n
         WHERE n.store_id = $1 AND lower(coalesce(n.first_name, '') || ' ' || coalesce(n.last_name, '')) LIKE '%' || $4 || '%'))
     ORDER BY p.id LIMIT $5`,
    [storeId, text, q.afterId ?? null, literal(text), q.limit],
  );
  return rows.map(toPerson);
}

export type ConsentRecord = { state: ConsentState; source: string | null; at: Date | null };
export type PersonDetail = PersonRow & {
  firstName: string | null;
  lastName: string | null;
  timezone: string | null;
  properties: Record<string, unknown>;
  consent: { email: ConsentRecord; sms: ConsentRecord };
  identifiers: Array<{ kind: string; value: string; since: Date }>;
  lists: string[];
  segments: Array<{ id: string; name: string }>;
};

export async function personById(db: Queryable, storeId: StoreId, id: string): Promise<PersonDetail | undefined> {
  const { rows } = await db.query<Row & {
    timezone: string | null; properties: Record<string, unknown>;
    email_consent_source: string | null; email_consent_at: Date | null; sms_consent_source: string | null; sms_consent_at: Date | null;
  }>('SELECT * FROM profiles WHERE store_id = $1 AND id = $2::uuid', [storeId, id]);
  const r = rows[0];
  if (!r) return undefined;
  const [ids, lists, segs] = await Promise.all([
    db.query<{ kind: string; value: string; created_at: Date }>(
      `SELECT kind, value, created_at FROM profile_identifiers WHERE store_id = $1 AND profile_id = $2
       ORDER BY array_position(ARRAY['external_id', 'email', 'phone', 'anonymous_id'], kind), created_at`, [storeId, id]),
    db.query<{ list: string }>('SELECT list FROM profile_lists WHERE store_id = $1 AND profile_id = $2 ORDER BY list', [storeId, id]),
    db.query<{ id: string; name: string }>(
      `SELECT s.id, s.name FROM segment_members m JOIN segments s ON s.store_id = m.store_id AND s.id = m.segment_id
       WHERE m.store_id = $1 AND m.profile_id = $2 ORDER BY s.name`, [storeId, id]),
  ]);
  return {
    ...toPerson(r),
    firstName: r.first_name, lastName: r.last_name, timezone: r.timezone, properties: r.properties,
    consent: {
      email: { state: r.email_consent, source: r.email_consent_source, at: r.email_consent_at },
      sms: { state: r.sms_consent, source: r.sms_consent_source, at: r.sms_consent_at },
    },
    identifiers: ids.rows.map((i) => ({ kind: i.kind, value: i.value, since: i.created_at })),
    lists: lists.rows.map((l) => l.list),
    segments: segs.rows,
  };
}

export type TimelineEvent = { id: string; metric: string; time: Date; value: string | null; properties: Record<string, unknown> };

/** A profile's events, newest first; `beforeId` is the last id of the previous page. */
export async function personEvents(db: Queryable, storeId: StoreId, profileId: string, q: { beforeId?: string | undefined; limit: number }): Promise<TimelineEvent[]> {
  const { rows } = await db.query<{ id: string; metric: string; time: Date; value: string | null; properties: Record<string, unknown> }>(
    `SELECT id::text, metric, time, value::text, properties FROM events
     WHERE store_id = $1 AND profile_id = $2 AND ($3::bigint IS NULL OR (time, id) < (SELECT time, id FROM events WHERE store_id = $1 AND id = $3::bigint))
     ORDER BY time DESC, id DESC LIMIT $4`,
    [storeId, profileId, q.beforeId ?? null, q.limit],
  );
  return rows;
}

export type PersonRun = { flowId: string; flowName: string; status: string; enteredAt: Date; endedAt: Date | null; endReason: string | null };

export async function personRuns(db: Queryable, storeId: StoreId, profileId: string, limit: number): Promise<PersonRun[]> {
  const { rows } = await db.query<{ flow_id: string; name: string; status: string; entered_at: Date; ended_at: Date | null; end_reason: string | null }>(
    `SELECT r.flow_id, f.name, r.status, r.entered_at, r.ended_at, r.end_reason FROM flow_runs r
     JOIN flows f ON f.store_id = r.store_id AND f.id = r.flow_id
     WHERE r.store_id = $1 AND r.profile_id = $2 ORDER BY r.entered_at DESC LIMIT $3`,
    [storeId, profileId, limit],
  );
  return rows.map((r) => ({ flowId: r.flow_id, flowName: r.name, status: r.status, enteredAt: r.entered_at, endedAt: r.ended_at, endReason: r.end_reason }));
}

export type PersonMessage = { id: string; channel: string; subject: string | null; status: string; reason: string | null; flowId: string | null; flowName: string | null; createdAt: Date; sentAt: Date | null; rendered: boolean };

export async function personMessages(db: Queryable, storeId: StoreId, profileId: string, limit: number): Promise<PersonMessage[]> {
  const { rows } = await db.query<{ id: string; channel: string; subject: string | null; status: string; reason: string | null; flow_id: string | null; name: string | null; created_at: Date; sent_at: Date | null; rendered: boolean }>(
    `SELECT m.id, m.channel, m.subject, m.status, m.reason, m.flow_id, f.name, m.created_at, m.sent_at,
            (m.html IS NOT NULL OR m.body_text IS NOT NULL) AS rendered
     FROM messages m LEFT JOIN flows f ON f.store_id = m.store_id AND f.id = m.flow_id
     WHERE m.store_id = $1 AND m.profile_id = $2 ORDER BY m.seq DESC LIMIT $3`,
    [storeId, profileId, limit],
  );
  return rows.map((r) => ({ id: r.id, channel: r.channel, subject: r.subject, status: r.status, reason: r.reason, flowId: r.flow_id, flowName: r.name, createdAt: r.created_at, sentAt: r.sent_at, rendered: r.rendered }));
}

/** One message's stored rendering, for the profile page's message view. */
export async function personMessage(db: Queryable, storeId: StoreId, profileId: string, messageId: string): Promise<{ id: string; channel: string; subject: string | null; html: string | null; text: string | null; status: string; createdAt: Date } | undefined> {
  const { rows } = await db.query<{ id: string; channel: string; subject: string | null; html: string | null; body_text: string | null; status: string; created_at: Date }>(
    'SELECT id, channel, subject, html, body_text, status, created_at FROM messages WHERE store_id = $1 AND profile_id = $2 AND id = $3::uuid',
    [storeId, profileId, messageId],
  );
  const r = rows[0];
  return r && { id: r.id, channel: r.channel, subject: r.subject, html: r.html, text: r.body_text, status: r.status, createdAt: r.created_at };
}

/** Property names on the store's profiles (a sample of recent ones), for the segment builder's picker. */
export async function profilePropertyNames(db: Queryable, storeId: StoreId): Promise<string[]> {
  const { rows } = await db.query<{ k: string }>(
    `SELECT DISTINCT jsonb_object_keys(properties) AS k FROM (
       SELECT properties FROM profiles WHERE store_id = $1 AND properties <> '{}'::jsonb ORDER BY updated_at DESC LIMIT 500
     ) p ORDER BY k LIMIT 200`,
    [storeId],
  );
  return rows.map((r) => r.k);
}
