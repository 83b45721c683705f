// The hand-off from ingest to flows: the flow_trigger_queue table.
//
// Ingest never calls into src/flows. Each write that can start or wake a flow adds a row to this
// queue in the same transaction as the write, so a trigger exists exactly when its write
// committed, and a rolled-back write leaves none. The rows are written inside repository SQL:
//
//   kind 'event'      every new event (metric triggers; also wakes runs waiting on a metric)
//                     events.ts, insertEvents: a new row in events, deduplicated by unique_id
//   kind 'list'       a profile joining a list (list triggers)
//                     profiles.ts, updateProfileFields: a new row in profile_lists
//   kind 'inventory'  a stock change the source reported (old and new quantity known and
//                     different; a recount never queues): low-inventory falls, the
//                     sell-out forecast and back-in-stock restocks
//                     catalog.ts, insertObservations: with the row in inventory_observations
//   kind 'price'      a price fall (price-drop triggers)
//                     the record_price_change() database trigger, migration 180, with the row
//                     in price_observations
//
// Each rule decides for itself what a row means: the threshold crossing is in
// src/flows/low-inventory-trigger.ts, the price-drop rule in src/flows/price-drop-rule.ts.
//
// One consumer takes the rows: the 'flows:triggers' job (src/jobs/flow-jobs.ts, scheduled every
// second by src/jobs/worker.ts) runs processTriggerQueue (src/flows/enter-flows.ts), which
// takes a batch with takeTriggers below and enters flows in the same transaction: a crash
// puts the batch back. Erasing a person deletes their queued rows (personal-data.ts); merging
// two profiles moves them (profile-identifiers.ts).
import type { Queryable } from '../pool.ts';

export type QueuedTrigger = {
  storeId: string;
  kind: 'event' | 'list' | 'inventory' | 'price';
  eventId: string | null;
  list: string | null;
  observationId: string | null;
  profileId: string | null;
  at: Date;
};

/** Takes queued triggers (deleting them in the caller's transaction: a rollback puts them back). */
export async function takeTriggers(db: Queryable, limit: number): Promise<QueuedTrigger[]> {
  const { rows } = await db.query<{ store_id: string; kind: QueuedTrigger['kind']; event_id: string | null; list: string | null; observation_id: string | null; profile_id: string | null; at: Date }>(
    `DELETE FROM flow_trigger_queue q USING (
       SELECT store_id, id FROM flow_trigger_queue ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
     ) t WHERE q.store_id = t.store_id AND q.id = t.id
     RETURNING q.store_id, q.kind, q.event_id::text AS event_id, q.list, q.observation_id::text AS observation_id, q.profile_id, q.at`,
    [limit],
  );
  return rows.map((r) => ({ storeId: r.store_id, kind: r.kind, eventId: r.event_id, list: r.list, observationId: r.observation_id, profileId: r.profile_id, at: r.at }));
}
