// Reads and queues behind flow entry: the trigger queue, trigger events, date and segment candidates.
import type { Queryable } from '../pool.ts';
import type { TriggerEvent } from '../../model/flow.ts';

export type QueuedTrigger = { storeId: string; kind: 'event' | 'list'; eventId: string | null; list: string | null; profileId: string; at: Date };

/** Takes queued triggers (deleting them in the caller's transaction: a rollback puts them back). */
export async function takeTriggers(db: Queryable, limit: number): Promise<QueuedTrigger[]> {
  const { rows } = await db.query<{ store_id: string; kind: 'event' | 'list'; event_id: string | null; list: string | null; profile_id: string; at: Date }>(
    `DELETE FROM flow_trigger_queue q USING (
       SELECT store_id, id FROM flow_trigger_queue ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
     ) t WHERE q.store_id = t.store_id AND q.id = t.id
     RETURNING q.store_id, q.kind, q.event_id::text AS event_id, q.list, q.profile_id, q.at`,
    [limit],
  );
  return rows.map((r) => ({ storeId: r.store_id, kind: r.kind, eventId: r.event_id, list: r.list, profileId: r.profile_id, at: r.at }));
}

/** Events with their items, shaped as a run remembers its trigger. */
export async function triggerEvents(db: Queryable, storeId: string, ids: string[]): Promise<Map<string, TriggerEvent & { profileId: string }>> {
  if (ids.length === 0) return new Map();
  const { rows } = await db.query<{ id: string; metric: string; time: Date; value: number | null; properties: Record<string, unknown>; profile_id: string; items: TriggerEvent['items'] | null }>(
    `SELECT e.id::text AS id, e.metric, e.time, e.value, e.properties, e.profile_id,
       (SELECT json_agg(json_build_object('productId', i.product_external_id, 'variantId', i.variant_external_id,
          'quantity', i.quantity, 'price', i.price) ORDER BY i.position) FROM event_items i
        WHERE i.store_id = e.store_id AND i.event_id = e.id) AS items
     FROM events e WHERE e.store_id = $1 AND e.id = ANY($2::bigint[])`,
    [storeId, ids],
  );
  return new Map(
    rows.map((r) => [
      r.id,
      {
        id: r.id,
        metric: r.metric,
        time: r.time.toISOString(),
        value: r.value,
        properties: r.properties,
        items: (r.items ?? []).map((i) => ({ ...i, price: i.price === null ? null : Number(i.price) })),
        profileId: r.profile_id,
      },
    ]),
  );
}

/** Profiles of a store that carry the date property, with their timezone. */
export async function dateCandidates(db: Queryable, storeId: string, property: string): Promise<Array<{ profileId: string; value: unknown; timezone: string | null }>> {
  const { rows } = await db.query<{ id: string; value: unknown; timezone: string | null }>(
    'SELECT id, properties->$2 AS value, timezone FROM profiles WHERE store_id = $1 AND properties ? $2',
    [storeId, property],
  );
  return rows.map((r) => ({ profileId: r.id, value: r.value, timezone: r.timezone }));
}
