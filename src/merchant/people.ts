// The people pages' use cases: search, and one profile with everything the store knows of it.
import type pg from 'pg';
import { z } from 'zod';
import type { StoreId } from '../model/ids.ts';
import { personById, personEvents, personMessage, personMessages, personRuns, searchPeople, type PersonDetail, type PersonMessage, type PersonRow, type PersonRun, type TimelineEvent } from '../db/repositories/people-reads.ts';

export const PEOPLE_PAGE = 50;
export const TIMELINE_PAGE = 25;

export const PeopleQuery = z.object({ q: z.string().trim().max(320).default('') });

/** One page of people; `nextAfter` is the id to continue after, null on the last page. */
export async function findPeople(pool: pg.Pool, storeId: StoreId, q: { text: string; afterId?: string | undefined }, limit = PEOPLE_PAGE): Promise<{ people: PersonRow[]; nextAfter: string | null }> {
  const rows = await searchPeople(pool, storeId, { text: q.text, afterId: q.afterId, limit: limit + 1 });
  const people = rows.slice(0, limit);
  return { people, nextAfter: rows.length > limit ? people[people.length - 1]!.id : null };
}

export type PersonPage = {
  person: PersonDetail;
  events: TimelineEvent[];
  nextEventsBefore: string | null;
  runs: PersonRun[];
  messages: PersonMessage[];
};

const Id = z.uuid();

export async function personPage(pool: pg.Pool, storeId: StoreId, id: string, eventsBefore?: string): Promise<PersonPage | undefined> {
  if (!Id.safeParse(id).success) return undefined;
  const person = await personById(pool, storeId, id);
  if (!person) return undefined;
  const [rows, runs, messages] = await Promise.all([
    personEvents(pool, storeId, id, { beforeId: eventsBefore, limit: TIMELINE_PAGE + 1 }),
    personRuns(pool, storeId, id, 50),
    personMessages(pool, storeId, id, 50),
  ]);
  const events = rows.slice(0, TIMELINE_PAGE);
  return { person, events, nextEventsBefore: rows.length > TIMELINE_PAGE ? events[events.length - 1]!.id : null, runs, messages };
}

export async function personMessageView(pool: pg.Pool, storeId: StoreId, profileId: string, messageId: string) {
  if (!Id.safeParse(profileId).success || !Id.safeParse(messageId).success) return undefined;
  return personMessage(pool, storeId, profileId, messageId);
}

/** Consent and run states as the merchant reads them. */
export const CONSENT_WORDS: Record<string, string> = { subscribed: 'Subscribed', unsubscribed: 'Unsubscribed', never_subscribed: 'Never subscribed' };
export const RUN_WORDS: Record<string, string> = { active: 'In progress', waiting: 'Waiting', paused: 'Paused', completed: 'Completed', exited: 'Left the flow' };
export const IDENTIFIER_WORDS: Record<string, string> = { external_id: 'Customer id', email: 'Email', phone: 'Phone', anonymous_id: 'Browser id' };
