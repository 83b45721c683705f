// A tick's message and skip decisions as outbox rows. Each message is checked exactly as the
// outbox checks one it is handed (messaging/outbox.ts, enqueueMessage), so a bad render still
// fails the tick with the same InvalidMessageError; the rows then go in as one statement
// (insertFlowMessages) instead of one round trip each. Skips, like recordSkip, are not checked:
// a missing recipient is itself a reason to skip.
import { z } from 'zod';
import type { MessageInsert } from '../db/repositories/messages.ts';
import { Email, Phone } from '../model/profile.ts';
import { InvalidMessageError, type NewMessage } from '../messaging/outbox.ts';

const Common = z.object({
  dedupeKey: z.string().min(1).max(500),
  flowId: z.uuid().nullable(),
  runId: z.uuid().nullable(),
  flowVersion: z.number().int().nonnegative().nullable(),
  stepId: z.string().max(200).nullable(),
  abBranch: z.string().max(200).nullable().optional(),
});

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

type Base = Omit<NewMessage, 'status'>;

function row(m: Base, status: MessageInsert['status'], reason: string | null): MessageInsert {
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
  };
}

/** A message to send (or hold), with its recipient normalised; throws InvalidMessageError like the outbox. */
export function messageRow(m: NewMessage): MessageInsert {
  const r = Sendable.safeParse(m);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new InvalidMessageError(`message ${issue.path.join('.') || '(message)'}: ${issue.message}`);
  }
  return row({ ...m, to: r.data.to }, m.status, null);
}

/** A message decided against, kept as 'skipped' with its reason for the report. */
export function skipRow(m: Base & { reason: string }): MessageInsert {
  return row(m, 'skipped', m.reason.slice(0, 500));
}
