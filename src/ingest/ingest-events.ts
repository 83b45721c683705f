// The one write path for shopper events: resolve profiles (every identifier an event carries,
// see resolve-profiles.ts), append events and their items,
// skip anything already stored under the same unique id. One transaction per call.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { EventInput } from '../model/event.ts';
import type { StoreId } from '../model/ids.ts';
import { identityKey } from '../db/repositories/profiles.ts';
import { resolveProfiles } from './resolve-profiles.ts';
import { fillEventProperties, insertEventItems, insertEvents, type EventItemWrite } from '../db/repositories/events.ts';
import { DUPLICATE, transactOnce, type Delivery } from './record-delivery.ts';

export type EventIngestResult = { accepted: number; duplicates: number; duplicateDelivery: boolean };

/**
 * A stable id for an event that came without one: the same event delivered twice hashes the
 * same, so a retried call cannot store it twice.
 */
export function deriveUniqueId(e: EventInput): string {
  const h = createHash('sha256');
  h.update(JSON.stringify([e.metric, identityKey(e.profile), e.time.toISOString(), e.value, e.properties]));
  return `h:${h.digest('base64url')}`;
}

/** What a duplicate may still add to the stored event: its non-null fillable properties. */
function fillableOf(uniqueId: string, e: EventInput): Array<{ uniqueId: string; properties: Record<string, unknown> }> {
  const properties = Object.fromEntries((e.fillable ?? []).flatMap((k) => (e.properties[k] == null ? [] : [[k, e.properties[k]]])));
  return Object.keys(properties).length > 0 ? [{ uniqueId, properties }] : [];
}

export async function ingestEvents(
  pool: pg.Pool,
  storeId: StoreId,
  input: EventInput[],
  opts: { delivery?: Delivery } = {},
): Promise<EventIngestResult> {
  const byUniqueId = new Map<string, EventInput>();
  for (const e of input) {
    const id = e.uniqueId ?? deriveUniqueId(e);
    if (!byUniqueId.has(id)) byUniqueId.set(id, e);
  }
  if (byUniqueId.size === 0) return { accepted: 0, duplicates: input.length, duplicateDelivery: false };

  const accepted = await transactOnce(pool, storeId, opts.delivery, async (tx) => {
    const events = [...byUniqueId.entries()];
    const profiles = await resolveProfiles(tx, storeId, events.map(([, e]) => e.profile));
    const inserted = await insertEvents(
      tx,
      storeId,
      events.map(([uniqueId, e], n) => ({
        metric: e.metric,
        profileId: profiles[n]!,
        time: e.time,
        value: e.value,
        properties: e.properties,
        uniqueId,
      })),
    );
    const items: EventItemWrite[] = [];
    for (const { id, uniqueId } of inserted) {
      for (const [position, item] of byUniqueId.get(uniqueId)!.items.entries()) {
        items.push({ eventId: id, position, ...item });
      }
    }
    await insertEventItems(tx, storeId, items);
    const fresh = new Set(inserted.map((r) => r.uniqueId));
    await fillEventProperties(tx, storeId, events.flatMap(([uniqueId, e]) => (fresh.has(uniqueId) ? [] : fillableOf(uniqueId, e))));
    return inserted.length;
  });
  if (accepted === DUPLICATE) return { accepted: 0, duplicates: input.length, duplicateDelivery: true };
  return { accepted, duplicates: input.length - accepted, duplicateDelivery: false };
}
