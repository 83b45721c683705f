import type { EventId, ProfileId, StoreId } from '../../model/ids.ts';
import type { StoredEvent } from '../../model/event.ts';
import type { Queryable } from '../pool.ts';

export type EventWrite = {
  metric: string;
  profileId: ProfileId;
  time: Date;
  value: number | null;
  properties: Record<string, unknown>;
  uniqueId: string;
};

export type EventItemWrite = {
  eventId: EventId;
  position: number;
  productExternalId: string | null;
  variantExternalId: string | null;
  quantity: number;
  price: number | null;
};

/** Multi-row insert; rows whose unique id is already stored are skipped. Returns what was new. */
export async function insertEvents(
  db: Queryable,
  storeId: StoreId,
  rows: EventWrite[],
): Promise<Array<{ id: EventId; uniqueId: string }>> {
  if (rows.length === 0) return [];
  const { rows: inserted } = await db.query<{ id: string; unique_id: string }>(
    `WITH inserted AS (
       INSERT INTO events (store_id, metric, profile_id, time, value, properties, unique_id)
       SELECT $1, metric, profile_id, time, value, properties, unique_id
       FROM jsonb_to_recordset($2::jsonb) AS x(metric text, profile_id uuid, time timestamptz, value numeric, properties jsonb, unique_id text)
       ON CONFLICT (store_id, unique_id) DO NOTHING
       RETURNING id, unique_id, profile_id, time, metric
     ), queued AS (
       -- Flows see every new event exactly once through this queue (flow-trigger-queue.ts).
       INSERT INTO flow_trigger_queue (store_id, kind, event_id, profile_id, at)
       SELECT $1, 'event', id, profile_id, time FROM inserted
     ), first_purchase AS (
       -- The profile date firstPurchaseAt: the earliest Placed Order, also when a backfill brings an older one.
       UPDATE profiles p SET first_purchase_at = f.first
       FROM (SELECT profile_id, min(time) AS first FROM inserted WHERE metric = 'Placed Order' GROUP BY profile_id) f
       WHERE p.store_id = $1 AND p.id = f.profile_id AND (p.first_purchase_at IS NULL OR p.first_purchase_at > f.first)
     )
     SELECT id::text AS id, unique_id FROM inserted`,
    [
      storeId,
      JSON.stringify(
        rows.map((r) => ({
          metric: r.metric,
          profile_id: r.profileId,
          time: r.time.toISOString(),
          value: r.value,
          properties: r.properties,
          unique_id: r.uniqueId,
        })),
      ),
    ],
  );
  return inserted.map((r) => ({ id: r.id as EventId, uniqueId: r.unique_id }));
}

/**
 * Adds to stored events the properties they lack (absent or null) from a later copy, never
 * changing one they have. Runs that entered a flow on such an event keep a copy of it taken at
 * entry, so the copy gets the same additions (their messages render from it). Returns how many
 * events gained something.
 */
export async function fillEventProperties(
  db: Queryable,
  storeId: StoreId,
  rows: Array<{ uniqueId: string; properties: Record<string, unknown> }>,
): Promise<number> {
  if (rows.length === 0) return 0;
  const { rows: out } = await db.query<{ n: number }>(
    `WITH x AS (
       SELECT unique_id, props FROM jsonb_to_recordset($2::jsonb) AS x(unique_id text, props jsonb)
     ), filled AS (
       UPDATE events e SET properties = e.properties || (
           SELECT jsonb_object_agg(p.key, p.value) FROM jsonb_each(x.props) p
           WHERE p.value <> 'null'::jsonb AND COALESCE(e.properties -> p.key, 'null'::jsonb) = 'null'::jsonb)
       FROM x
       WHERE e.store_id = $1 AND e.unique_id = x.unique_id
         AND EXISTS (SELECT 1 FROM jsonb_each(x.props) p
                     WHERE p.value <> 'null'::jsonb AND COALESCE(e.properties -> p.key, 'null'::jsonb) = 'null'::jsonb)
       RETURNING e.id, e.profile_id, e.properties
     ), runs AS (
       UPDATE flow_runs r SET trigger_event = jsonb_set(r.trigger_event, '{properties}', f.properties)
       FROM filled f
       WHERE r.store_id = $1 AND r.profile_id = f.profile_id AND r.key = 'event:' || f.id::text AND r.trigger_event ? 'properties'
     )
     SELECT count(*)::int AS n FROM filled`,
    [storeId, JSON.stringify(rows.map((r) => ({ unique_id: r.uniqueId, props: r.properties })))],
  );
  return out[0]?.n ?? 0;
}

export async function insertEventItems(db: Queryable, storeId: StoreId, items: EventItemWrite[]): Promise<void> {
  if (items.length === 0) return;
  await db.query(
    `INSERT INTO event_items (store_id, event_id, position, product_external_id, variant_external_id, quantity, price)
     SELECT $1, event_id, position, product_external_id, variant_external_id, quantity, price
     FROM jsonb_to_recordset($2::jsonb) AS x(event_id bigint, position smallint, product_external_id text,
       variant_external_id text, quantity integer, price numeric)`,
    [
      storeId,
      JSON.stringify(
        items.map((i) => ({
          event_id: i.eventId,
          position: i.position,
          product_external_id: i.productExternalId,
          variant_external_id: i.variantExternalId,
          quantity: i.quantity,
          price: i.price,
        })),
      ),
    ],
  );
}

export type EventQuery = { metric?: string; since?: Date; afterId?: EventId; limit: number };

type EventRow = {
  id: string;
  metric: string;
  time: Date;
  value: number | null;
  properties: Record<string, unknown>;
  profile_id: string;
  email: string | null;
  phone: string | null;
  items: Array<{ product_id: string | null; variant_id: string | null; quantity: number; price: number | null }> | null;
};

/** A page of events, oldest id first; `afterId` is the last id of the previous page. */
export async function listEvents(db: Queryable, storeId: StoreId, q: EventQuery): Promise<StoredEvent[]> {
  const { rows } = await db.query<EventRow>(
    `SELECT e.id::text AS id, e.metric, e.time, e.value, e.properties, e.profile_id, p.email, p.phone,
       (SELECT json_agg(json_build_object('product_id', i.product_external_id, 'variant_id', i.variant_external_id,
          'quantity', i.quantity, 'price', i.price) ORDER BY i.position)
        FROM event_items i WHERE i.store_id = e.store_id AND i.event_id = e.id) AS items
     FROM events e JOIN profiles p ON p.store_id = e.store_id AND p.id = e.profile_id
     WHERE e.store_id = $1 AND ($2::text IS NULL OR e.metric = $2) AND ($3::timestamptz IS NULL OR e.time >= $3)
       AND ($4::bigint IS NULL OR e.id > $4::bigint)
     ORDER BY e.id LIMIT $5`,
    [storeId, q.metric ?? null, q.since ?? null, q.afterId ?? null, q.limit],
  );
  return rows.map((r) => ({
    id: r.id as EventId,
    storeId,
    metric: r.metric,
    time: r.time,
    value: r.value,
    properties: r.properties,
    profile: { id: r.profile_id as ProfileId, email: r.email, phone: r.phone },
    items: (r.items ?? []).map((i) => ({
      productId: i.product_id,
      variantId: i.variant_id,
      quantity: i.quantity,
      price: i.price === null ? null : Number(i.price),
    })),
  }));
}
