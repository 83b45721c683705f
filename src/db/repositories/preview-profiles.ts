// Reads behind "preview as a real profile": find a store's profiles by email, phone or name, and
// the event of theirs a preview should show. Reads only: a preview never writes.
import type { Queryable } from '../pool.ts';
import { triggerEvents } from './flow-triggers.ts';
import type { TriggerEvent } from '../../model/flow.ts';

export type PreviewProfileRow = { id: string; email: string | null; phone: string | null; firstName: string | null; lastName: string | null };

const like = (s: string) => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Up to `limit` profiles matching the text (all of them, most recently updated first, when empty). */
export async function searchPreviewProfiles(db: Queryable, storeId: string, text: string, limit: number): Promise<PreviewProfileRow[]> {
  const q = text.trim();
  const { rows } = await db.query<{ id: string; email: string | null; phone: string | null; first_name: string | null; last_name: string | null }>(
    `SELECT p.id, p.email, p.phone, p.first_name, p.last_name FROM profiles p
     WHERE p.store_id = $1 AND ($2::text IS NULL OR p.email ILIKE $2 OR p.phone ILIKE $2
       OR (coalesce(p.first_name, '') || ' ' || coalesce(p.last_name, '')) ILIKE $2)
     ORDER BY p.updated_at DESC, p.id LIMIT $3`,
    [storeId, q ? like(q) : null, limit],
  );
  return rows.map((r) => ({ id: r.id, email: r.email, phone: r.phone, firstName: r.first_name, lastName: r.last_name }));
}

/**
 * The profile's latest event of the flow's trigger metric; without one, their latest event that
 * has items (so product blocks have something real to show); else nothing.
 */
export async function latestPreviewEvent(db: Queryable, storeId: string, profileId: string, metric: string | null): Promise<TriggerEvent | null> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT e.id::text AS id FROM events e
     WHERE e.store_id = $1 AND e.profile_id = $2
       AND (e.metric = $3 OR EXISTS (SELECT 1 FROM event_items i WHERE i.store_id = e.store_id AND i.event_id = e.id))
     ORDER BY (e.metric = $3) DESC, e.time DESC LIMIT 1`,
    [storeId, profileId, metric ?? ''],
  );
  if (!rows[0]) return null;
  const found = (await triggerEvents(db, storeId, [rows[0].id])).get(rows[0].id);
  if (!found) return null;
  const { profileId: _owner, ...event } = found;
  return event;
}
