// What the flow engine hands to messaging: a rendered message, stored once per dedupe key, then
// delivered by the worker (deliver-messages) or decided on by a person when held.
import { z } from 'zod';
import type { MessageId, ProfileId, StoreId } from '../model/ids.ts';
import { Email, Phone } from '../model/profile.ts';
import type { Queryable } from '../db/pool.ts';
import * as repo from '../db/repositories/messages.ts';
import { insertMessages } from '../db/repositories/message-bulk.ts';
import type { ExitGuard } from '../db/repositories/message-rows.ts';

export type NewMessage = {
  storeId: StoreId;
  flowId: string | null;
  flowVersion: number | null;
  runId: string | null;
  stepId: string | null;
  /** Null only for a test send (no flow, step id "test:..."): there is no shopper behind it. */
  profileId: ProfileId | null;
  channel: 'email' | 'sms';
  /** Email address or E.164 phone. */
  to: string;
  subject: string | null;
  html: string | null;
  text: string | null;
  /** Deterministic per run and step: the same key never makes a second message. */
  dedupeKey: string;
  /** held = manual flow status: waits for a person to send or skip. */
  status: 'queued' | 'held';
  abBranch?: string | null;
  /** Not delivered before this time (SMS quiet hours, smart-sending hold). */
  notBefore?: Date | null;
  /** Asked again when delivery claims it: one that holds skips the message with its reason. */
  exitIf?: ExitGuard[];
};

export class InvalidMessageError extends Error {
  override name = 'InvalidMessageError';
}

const Common = z.object({
  dedupeKey: z.string().min(1).max(500),
  flowId: z.uuid().nullable(),
  runId: z.uuid().nullable(),
  flowVersion: z.number().int().nonnegative().nullable(),
  stepId: z.string().max(200).nullable(),
  abBranch: z.string().max(200).nullable().optional(),
});

// The engine renders; this catches a caller bug (no recipient, no body) before a worker meets it.
const Sendable = z.discriminatedUnion('channel', [
  Common.extend({
    channel: z.literal('email'),
    to: Email,
    subject: z.string().min(1, 'an email needs a subject').max(998),
    html: z.string().nullable(),
    text: z.string().nullable(),
  }).refine((m) => m.html || m.text, 'an email needs html or text'),
  Common.extend({ channel: z.literal('sms'), to: Phone, text: z.string().min(1, 'an SMS needs text').max(1600) }),
]);

function checked<T extends { channel: 'email' | 'sms'; to: string }>(m: T): T {
  const r = Sendable.safeParse(m);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new InvalidMessageError(`message ${issue.path.join('.') || '(message)'}: ${issue.message}`);
  }
  // Keep the normalised recipient (lowercased email, E.164 without separators).
  return { ...m, to: r.data.to };
}

function toInsert(m: Omit<NewMessage, 'status'>, status: 'queued' | 'held' | 'skipped', reason: string | null): repo.MessageInsert {
  return {
    storeId: m.storeId,
    dedupeKey: m.dedupeKey,
    flowId: m.flowId,
    flowVersion: m.flowVersion,
    runId: m.runId,
    stepId: m.stepId,
    abBranch: m.abBranch ?? null,
    profileId: m.profileId,
    channel: m.channel,
    to: m.to,
    subject: m.subject,
    html: m.html,
    text: m.text,
    status,
    reason,
    notBefore: m.notBefore ?? null,
    exitIf: 'exitIf' in m ? m.exitIf : undefined,
  };
}

/** A flow's decision about one message: send it (or hold it for review), or record why not. */
export type Decision = { send: NewMessage } | { skip: Omit<NewMessage, 'status'> & { reason: string } };

/**
 * enqueueMessage and recordSkip for many messages in one statement, in the given order. Each
 * message to send is checked as enqueueMessage checks it. Returns how many sendable messages
 * were new (not already made under their dedupe key).
 */
export async function enqueueDecisions(db: Queryable, decisions: Decision[]): Promise<number> {
  return insertMessages(
    db,
    decisions.map((d) => ('send' in d ? toInsert(checked(d.send), d.send.status, null) : toInsert(d.skip, 'skipped', d.skip.reason.slice(0, 500)))),
  );
}

export async function enqueueMessage(db: Queryable, m: NewMessage): Promise<{ id: MessageId; created: boolean }> {
  const valid = checked(m);
  return repo.insertMessage(db, toInsert(valid, m.status, null));
}

/**
 * A message the engine decided not to send (no consent, smart sending, sold out...), kept as
 * 'skipped' with its reason so the report can count it. Idempotent on the dedupe key.
 */
export async function recordSkip(db: Queryable, m: Omit<NewMessage, 'status'> & { reason: string }): Promise<void> {
  // A skipped message may lack what a sendable one needs (no phone on file is itself a reason).
  await repo.insertMessage(db, toInsert(m, 'skipped', m.reason.slice(0, 500)));
}

/** For smart sending: the latest message sent or waiting to be sent on this channel. */
export async function lastMessagedAt(db: Queryable, storeId: StoreId, profileId: ProfileId, channel: 'email' | 'sms'): Promise<Date | null> {
  return repo.lastMessagedAt(db, storeId, profileId, channel);
}

/** held → queued; false when it was not held (already decided, or no such message). */
export async function releaseHeld(db: Queryable, storeId: StoreId, id: MessageId, actor: string): Promise<boolean> {
  return repo.releaseHeld(db, storeId, id, actor);
}

/** All held messages of the store, or of one flow, sent or skipped by a person. */
export async function decideAllHeld(db: Queryable, storeId: StoreId, flowId: string | null, actor: string, decision: { skip: string } | 'send'): Promise<number> {
  return repo.decideAllHeld(db, storeId, flowId, actor, decision);
}

/** held → skipped with the person's reason. */
export async function skipHeld(db: Queryable, storeId: StoreId, id: MessageId, actor: string, reason: string): Promise<boolean> {
  return repo.skipHeld(db, storeId, id, actor, reason);
}

export { flowMessageStats, findMessage, findMessageByDedupeKey, type MessageStats, type StoredMessage } from '../db/repositories/messages.ts';
