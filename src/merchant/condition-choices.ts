// What the condition builder offers: the standard metrics and those the store sends, and the
// properties its trigger events carry (plus the order value and profile fields).
import type pg from 'pg';
import type { Store } from '../model/store.ts';
import { Metrics } from '../model/event.ts';
import type { Trigger } from '../flows/definition.ts';
import { recentEventVocabulary } from '../db/repositories/merchant-reads.ts';
import { listSegments } from '../db/repositories/segments.ts';

const PROFILE_FIELDS = ['email', 'phone', 'firstName', 'lastName', 'timezone'];

export async function conditionChoices(pool: pg.Pool, store: Store, trigger: Trigger): Promise<{ metrics: string[]; properties: string[] }> {
  const seen = await recentEventVocabulary(pool, store.id, trigger.type === 'metric' ? trigger.metric : null);
  return {
    metrics: [...new Set([...Object.values(Metrics), ...seen.metrics])],
    properties: [...new Set(['value', ...seen.properties, ...PROFILE_FIELDS])],
  };
}

/** The store's segments, for the segment trigger's picker (a merchant never pastes an id). */
export async function listStoreSegments(pool: pg.Pool, store: Store): Promise<Array<{ id: string; name: string }>> {
  return (await listSegments(pool, store.id)).map((s) => ({ id: s.id, name: s.name }));
}
