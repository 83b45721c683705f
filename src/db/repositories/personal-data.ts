// Privacy-law requests: erase or export what identifies a person. Profiles are emptied in place
// rather than deleted, so rows elsewhere that point at them stay valid while naming no one.
import type { StoreId } from '../../model/ids.ts';
import type { ProfileIdentity } from '../../model/profile.ts';
import type { Queryable } from '../pool.ts';

export type People = ProfileIdentity[] | 'everyone';

function keys(people: ProfileIdentity[]) {
  const emails = [...new Set(people.flatMap((p) => (p.email ? [p.email.toLowerCase()] : [])))];
  const phones = [...new Set(people.flatMap((p) => (p.phone ? [p.phone] : [])))];
  const externalIds = [...new Set(people.flatMap((p) => (p.externalId ? [p.externalId] : [])))];
  return { emails, phones, externalIds };
}

async function profileIds(db: Queryable, storeId: StoreId, people: People): Promise<string[]> {
  if (people === 'everyone') {
    const { rows } = await db.query<{ id: string }>('SELECT id FROM profiles WHERE store_id = $1', [storeId]);
    return rows.map((r) => r.id);
  }
  const k = keys(people);
  // Every identifier a profile holds finds it, not only the ones it shows.
  const { rows } = await db.query<{ id: string }>(
    `SELECT DISTINCT profile_id AS id FROM profile_identifiers WHERE store_id = $1 AND (
       (kind = 'email' AND value = ANY($2::text[])) OR (kind = 'phone' AND value = ANY($3::text[])) OR (kind = 'external_id' AND value = ANY($4::text[])))`,
    [storeId, k.emails, k.phones, k.externalIds],
  );
  return rows.map((r) => r.id);
}

/**
 * A JSON document (webhook payload, export) mentions one of these people: an email or phone
 * anywhere in it (inside a longer string too), or a platform customer id where payloads put it.
 * Erring towards a match only scrubs a stored payload that was already applied.
 */
const MENTIONS = (col: string) => `(
  EXISTS (SELECT 1 FROM unnest($2::text[]) e WHERE strpos(lower(${col}::text), e) > 0)
  OR EXISTS (SELECT 1 FROM unnest($3::text[]) p WHERE strpos(${col}::text, p) > 0)
  OR ${col} -> 'customer' ->> 'id' = ANY($4::text[])
  OR ${col} ->> 'customer_id' = ANY($4::text[]))`;

/** The same for bytes kept as received (deliveries parked before they could be stored as JSON). */
const RAW_MENTIONS = `(
  EXISTS (SELECT 1 FROM unnest($2::text[] || $3::text[] || $4::text[]) k WHERE strpos(lower(encode(raw_body, 'escape')), lower(k)) > 0))`;

/**
 * Erases what identifies the people: their events (and items), list and segment memberships,
 * pending triggers, the rendered messages to them, the data flow runs and webhook calls carried
 * about them, stored webhook payloads (parked ones included) and data exports naming them. Rows
 * other tables count (messages, runs, calls) stay, emptied, so reports keep their totals; the
 * profile is emptied in place so those rows still point somewhere, naming no one.
 * `test/gdpr-erase.test.ts` searches every table afterwards, so a new table that keeps personal
 * data fails it until it is handled here.
 */
export async function erasePersonalData(db: Queryable, storeId: StoreId, people: People): Promise<{ profiles: number; events: number }> {
  const ids = await profileIds(db, storeId, people);
  const byProfile = [storeId, ids];
  const { rowCount: events } = await db.query('DELETE FROM events WHERE store_id = $1 AND profile_id = ANY($2::uuid[])', byProfile);
  await db.query('DELETE FROM profile_lists WHERE store_id = $1 AND profile_id = ANY($2::uuid[])', byProfile);
  await db.query('DELETE FROM segment_members WHERE store_id = $1 AND profile_id = ANY($2::uuid[])', byProfile);
  await db.query('DELETE FROM flow_trigger_queue WHERE store_id = $1 AND profile_id = ANY($2::uuid[])', byProfile);
  // Messages: the address and the rendered bodies go; one not yet sent never will be.
  await db.query(
    `UPDATE messages SET recipient = 'erased', subject = NULL, html = NULL, body_text = NULL, last_error = NULL,
       status = CASE WHEN status IN ('queued', 'held') THEN 'skipped' ELSE status END,
       reason = CASE WHEN status IN ('queued', 'held') THEN 'erased on request' ELSE reason END,
       next_attempt_at = CASE WHEN status IN ('queued', 'held') THEN NULL ELSE next_attempt_at END, updated_at = now()
     WHERE store_id = $1 AND profile_id = ANY($2::uuid[])`,
    byProfile,
  );
  // Runs keep their place in the reports but not the trigger event and context they carried.
  await db.query(
    `UPDATE flow_runs SET trigger_event = NULL, context = '{}',
       status = CASE WHEN status IN ('active', 'waiting', 'paused') THEN 'exited' ELSE status END,
       end_reason = CASE WHEN status IN ('active', 'waiting', 'paused') THEN 'erased on request' ELSE end_reason END,
       ended_at = CASE WHEN status IN ('active', 'waiting', 'paused') THEN now() ELSE ended_at END,
       next_at = NULL, wait_metric = NULL, lease_token = NULL, lease_until = NULL
     WHERE store_id = $1 AND profile_id = ANY($2::uuid[])`,
    byProfile,
  );
  // Webhook call bodies carry the profile and its trigger event; the rows stay (idempotency keys).
  await db.query(
    `UPDATE outbound_calls SET body = '{"redacted":true}', last_error = NULL,
       status = CASE WHEN status = 'queued' THEN 'failed' ELSE status END
     WHERE store_id = $1 AND profile_id = ANY($2::uuid[])`,
    byProfile,
  );
  await db.query('DELETE FROM back_in_stock_requests WHERE store_id = $1 AND profile_id = ANY($2::uuid[])', byProfile);
  await db.query('DELETE FROM profile_identifiers WHERE store_id = $1 AND profile_id = ANY($2::uuid[])', byProfile);
  // Merge records name the identifiers that joined or split people.
  await db.query('DELETE FROM profile_merges WHERE store_id = $1 AND (survivor_id = ANY($2::uuid[]) OR other_id = ANY($2::uuid[]))', byProfile);
  await db.query(
    `UPDATE profiles SET email = NULL, phone = NULL, external_id = NULL, first_name = NULL, last_name = NULL, timezone = NULL,
       properties = '{}', email_consent = 'unsubscribed', sms_consent = 'unsubscribed', updated_at = now()
     WHERE store_id = $1 AND id = ANY($2::uuid[])`,
    byProfile,
  );
  // Raw webhook payloads hold names, addresses and emails too; keep the rows (they dedupe
  // retries) but not their content. A parked one is no longer worth replaying.
  const scrub = `UPDATE webhook_inbox SET payload = '{"redacted":true}', raw_body = NULL, processed_at = COALESCE(processed_at, now()),
                   outcome = CASE WHEN outcome IS NULL OR outcome = 'parked' THEN 'redacted' ELSE outcome END, last_error = NULL`;
  if (people === 'everyone') {
    await db.query(`${scrub} WHERE store_id = $1`, [storeId]);
    await db.query('DELETE FROM personal_data_exports WHERE store_id = $1', [storeId]);
  } else {
    const k = keys(people);
    const params = [storeId, k.emails, k.phones, k.externalIds];
    await db.query(
      `${scrub} WHERE store_id = $1 AND (${MENTIONS('payload')} OR (topic LIKE 'customers/%' AND payload ->> 'id' = ANY($4::text[]))
         OR (raw_body IS NOT NULL AND ${RAW_MENTIONS}))`,
      params,
    );
    await db.query(
      `DELETE FROM personal_data_exports WHERE store_id = $1 AND (${MENTIONS('data')}
         OR EXISTS (SELECT 1 FROM unnest($4::text[]) x WHERE data -> 'requested' @> jsonb_build_array(jsonb_build_object('externalId', x))))`,
      params,
    );
  }
  return { profiles: ids.length, events: events ?? 0 };
}

/** Stores a copy of the people's profiles and events under the request id; a repeat keeps the first. */
export async function exportPersonalData(
  db: Queryable,
  storeId: StoreId,
  requestId: string,
  people: ProfileIdentity[],
): Promise<{ profiles: number; events: number }> {
  const ids = await profileIds(db, storeId, people);
  const { rows: profiles } = await db.query(
    `SELECT id, email, phone, external_id, first_name, last_name, timezone, properties, email_consent, sms_consent, created_at, updated_at,
       ARRAY(SELECT list FROM profile_lists l WHERE l.store_id = p.store_id AND l.profile_id = p.id) AS lists
     FROM profiles p WHERE store_id = $1 AND id = ANY($2::uuid[])`,
    [storeId, ids],
  );
  const { rows: events } = await db.query(
    `SELECT e.profile_id, e.metric, e.time, e.value, e.properties,
       COALESCE((SELECT jsonb_agg(jsonb_build_object('productId', i.product_external_id, 'variantId', i.variant_external_id,
                 'quantity', i.quantity, 'price', i.price) ORDER BY i.position)
        FROM event_items i WHERE i.store_id = e.store_id AND i.event_id = e.id), '[]') AS items
     FROM events e WHERE e.store_id = $1 AND e.profile_id = ANY($2::uuid[]) ORDER BY e.time`,
    [storeId, ids],
  );
  await db.query(
    `INSERT INTO personal_data_exports (store_id, request_id, data) VALUES ($1, $2, $3::jsonb) ON CONFLICT (store_id, request_id) DO NOTHING`,
    [storeId, requestId, JSON.stringify({ requested: people, profiles, events })],
  );
  return { profiles: profiles.length, events: events.length };
}

export async function findPersonalDataExport(db: Queryable, storeId: StoreId, requestId: string): Promise<unknown> {
  const { rows } = await db.query<{ data: unknown }>('SELECT data FROM personal_data_exports WHERE store_id = $1 AND request_id = $2', [
    storeId,
    requestId,
  ]);
  return rows[0]?.data;
}

export type PersonalDataExportSummary = { requestId: string; requestedAt: Date; profiles: number; events: number };

/** A store's exports requested since the cutoff (older ones are past their retention), newest first. */
export async function listPersonalDataExports(db: Queryable, storeId: StoreId, since: Date): Promise<PersonalDataExportSummary[]> {
  const { rows } = await db.query<PersonalDataExportSummary>(
    `SELECT request_id AS "requestId", requested_at AS "requestedAt",
       COALESCE(jsonb_array_length(data -> 'profiles'), 0) AS profiles, COALESCE(jsonb_array_length(data -> 'events'), 0) AS events
     FROM personal_data_exports WHERE store_id = $1 AND requested_at >= $2 ORDER BY requested_at DESC, request_id LIMIT 500`,
    [storeId, since],
  );
  return rows;
}

/** One export, when it is still within its retention. */
export async function readPersonalDataExport(db: Queryable, storeId: StoreId, requestId: string, since: Date): Promise<{ requestedAt: Date; data: unknown } | undefined> {
  const { rows } = await db.query<{ requestedAt: Date; data: unknown }>(
    'SELECT requested_at AS "requestedAt", data FROM personal_data_exports WHERE store_id = $1 AND request_id = $2 AND requested_at >= $3',
    [storeId, requestId, since],
  );
  return rows[0];
}

/** Deletes exports requested before the cutoff; returns how many went. */
export async function deleteExpiredExports(db: Queryable, before: Date): Promise<number> {
  const { rowCount } = await db.query('DELETE FROM personal_data_exports WHERE requested_at < $1', [before]);
  return rowCount ?? 0;
}
