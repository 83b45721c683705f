// Profiles seeded by SQL for speed must be findable the way ingest finds people: by the
// identifiers table (src/db/migrations/100-profile-identifiers.sql), not the email column.
type Db = { query(text: string, values?: unknown[]): Promise<unknown> };

export async function indexSeededEmails(db: Db, storeId: string): Promise<void> {
  await db.query(
    `INSERT INTO profile_identifiers (store_id, kind, value, profile_id)
     SELECT store_id, 'email', email, id FROM profiles WHERE store_id = $1 AND email IS NOT NULL
     ON CONFLICT DO NOTHING`,
    [storeId],
  );
}
