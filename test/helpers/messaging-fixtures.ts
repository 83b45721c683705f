// Shared set-up for the messaging suites: a store, profiles with chosen consent, messages.
import { randomUUID } from 'node:crypto';
import { createStore } from '../../src/stores/create-store.ts';
import { upsertProfile } from '../../src/ingest/ingest-profiles.ts';
import { findMessage, type StoredMessage } from '../../src/db/repositories/messages.ts';
import type { MessageId, ProfileId, StoreId } from '../../src/model/ids.ts';
import type { ProfileInput } from '../../src/model/profile.ts';
import type { NewMessage } from '../../src/messaging/outbox.ts';
import type { TestRuntime } from './db.ts';

export async function newStore(rt: TestRuntime, domain = `shop-${randomUUID().slice(0, 8)}.example`): Promise<{ id: StoreId; privateKey: string }> {
  const created = await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain });
  return { id: created.store.id, privateKey: created.privateKey };
}

export async function newProfile(rt: TestRuntime, storeId: StoreId, p: Partial<ProfileInput> = {}): Promise<ProfileId> {
  return upsertProfile(rt.db.pool, storeId, { email: `p-${randomUUID().slice(0, 8)}@example.com`, ...p } as ProfileInput);
}

export function emailMessage(storeId: StoreId, profileId: ProfileId, to: string, over: Partial<NewMessage> = {}): NewMessage {
  return {
    storeId,
    flowId: randomUUID(),
    flowVersion: 1,
    runId: randomUUID(),
    stepId: 's1',
    profileId,
    channel: 'email',
    to,
    subject: 'Almost gone',
    html: '<html><body><p>Hi</p><a href="https://shop.example/p/1?a=1&amp;b=2">Buy</a></body></html>',
    text: 'Hi, buy at https://shop.example/p/1',
    dedupeKey: randomUUID(),
    status: 'queued',
    ...over,
  };
}

export function smsMessage(storeId: StoreId, profileId: ProfileId, to: string, over: Partial<NewMessage> = {}): NewMessage {
  return { ...emailMessage(storeId, profileId, to), channel: 'sms', subject: null, html: null, text: 'Back in stock: shop.example/p/1', ...over };
}

export async function messageOf(rt: TestRuntime, storeId: StoreId, id: MessageId): Promise<StoredMessage> {
  const m = await findMessage(rt.db.pool, storeId, id);
  if (!m) throw new Error(`message ${id} not found`);
  return m;
}

/** A settable clock: tests move time instead of sleeping. */
export function fakeClock(start = new Date()): { now: () => Date; advance(ms: number): void } {
  let t = start.getTime();
  return { now: () => new Date(t), advance: (ms) => { t += ms; } };
}
