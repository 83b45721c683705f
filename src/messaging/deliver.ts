// The delivery loop: lease due messages, check consent once more, hand them to the transport,
// record the outcome. Any number of loops may run against one database: a message is leased by
// exactly one (FOR UPDATE SKIP LOCKED), and every write is guarded by the attempt it belongs to.
import type { Logger } from 'pino';
import type { Queryable } from '../db/pool.ts';
import {
  claimDue,
  markFinal,
  markRetry,
  markSentMany,
  recoverLapsed,
  type Attempt,
  type ClaimedMessage,
} from '../db/repositories/messages.ts';
import { composeEmail, type ComposeContext } from './email-compose.ts';
import type { EmailTransport } from './email-transport.ts';
import type { SmsTransport } from './sms-transport.ts';
import { withStopNotice } from './sms-transport.ts';
import { PermanentDeliveryError } from './delivery-error.ts';

export const MAX_ATTEMPTS = 5;
/**
 * Longer than the slowest send can take (SMTP timeouts 10 s + 30 s, SMS 15 s) times a batch
 * sent a few at a time, so a live worker never loses its lease to the lapsed-lease recovery.
 */
const LEASE_MS = 5 * 60_000;
const PROVIDER_BATCH = 20;
const OUTBOX_BATCH = 500;
const PARALLEL_SENDS = 4;

export type DeliveryDeps = ComposeContext & {
  db: Queryable;
  email: EmailTransport;
  sms: SmsTransport;
  now: () => Date;
  logger?: Logger;
  /**
   * Lease for a batch that only goes to the outbox. Nothing slow happens between claim and
   * 'sent', and a lease lapsing on a live worker costs only a second claim (the attempt guard
   * keeps 'sent' single), so it can be short: a crashed worker's batch is not parked for LEASE_MS.
   */
  outboxLeaseMs?: number;
};

export type DeliveryTally = { sent: number; retried: number; failed: number; skipped: number; recovered: number };

/** 30 s, 1 min, 2 min, 4 min... capped at an hour. */
export function backoffMs(attempts: number): number {
  return Math.min(3_600_000, 30_000 * 2 ** Math.max(0, attempts - 1));
}

/** Why a claimed message must not go out now, or null when it may. */
function consentBlock(m: ClaimedMessage): string | null {
  // A test send has no profile: it goes only to the address the merchant typed.
  if (!m.consent) return m.profileId === null ? null : 'profile deleted';
  // The shopper did what the flow was waiting to see not happen (ordered after all).
  if (m.exitedBy) return m.exitedBy;
  const state = m.consent[m.channel];
  if (state === 'unsubscribed') return 'unsubscribed';
  // SMS needs an explicit opt-in; email may reach never-subscribed profiles (design §4).
  if (m.channel === 'sms' && state !== 'subscribed') return 'no sms consent';
  return null;
}

const attemptOf = (m: ClaimedMessage): Attempt => ({ storeId: m.storeId, id: m.id, attempts: m.attempts });

async function sendOne(deps: DeliveryDeps, m: ClaimedMessage): Promise<string | null> {
  if (m.channel === 'email') return (await deps.email.send(composeEmail(m, deps))).providerId;
  return (await deps.sms.send({ to: m.to, body: withStopNotice(m.text ?? ''), messageId: m.id })).providerId;
}

/** Sends one message; a success is added to `sent`, recorded with the rest of its batch. */
async function deliverViaProvider(deps: DeliveryDeps, m: ClaimedMessage, tally: DeliveryTally, sent: Array<Attempt & { providerId: string | null }>): Promise<void> {
  let providerId: string | null;
  try {
    providerId = await sendOne(deps, m);
  } catch (err) {
    const reason = (err as Error).message || 'delivery failed';
    const permanent = err instanceof PermanentDeliveryError || m.attempts >= MAX_ATTEMPTS;
    deps.logger?.warn({ err, messageId: m.id, channel: m.channel, attempts: m.attempts, permanent }, 'message delivery failed');
    if (permanent) {
      await markFinal(deps.db, attemptOf(m), 'failed', m.attempts >= MAX_ATTEMPTS ? `gave up after ${m.attempts} attempts: ${reason}` : reason, reason);
      tally.failed++;
    } else {
      await markRetry(deps.db, attemptOf(m), reason, new Date(deps.now().getTime() + backoffMs(m.attempts)));
      tally.retried++;
    }
    return;
  }
  sent.push({ ...attemptOf(m), providerId });
}

async function deliverBatch(deps: DeliveryDeps, batch: ClaimedMessage[], tally: DeliveryTally): Promise<void> {
  const viaOutbox: Array<Attempt & { providerId: string | null }> = [];
  const viaProvider: ClaimedMessage[] = [];
  for (const m of batch) {
    const blocked = consentBlock(m);
    if (blocked) {
      await markFinal(deps.db, attemptOf(m), 'skipped', blocked);
      tally.skipped++;
    } else if (m.provider === 'outbox') {
      // Composed anyway, so a message that cannot be composed fails here as it would on SMTP.
      try {
        viaOutbox.push({ ...attemptOf(m), providerId: await sendOne(deps, m) });
      } catch (err) {
        await markFinal(deps.db, attemptOf(m), 'failed', (err as Error).message || 'could not compose');
        tally.failed++;
      }
    } else {
      viaProvider.push(m);
    }
  }
  await markSentMany(deps.db, viaOutbox, deps.now());
  tally.sent += viaOutbox.length;
  // PARALLEL_SENDS at a time, the next starting as soon as one ends, and the sent ones recorded
  // in one statement. A crash before that statement leaves them 'sending': recoverLapsed marks
  // them failed, never sends them again, and a late mark still records them as sent.
  const sent: Array<Attempt & { providerId: string | null }> = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(PARALLEL_SENDS, viaProvider.length) }, async () => {
      while (next < viaProvider.length) await deliverViaProvider(deps, viaProvider[next++]!, tally, sent);
    }),
  );
  await markSentMany(deps.db, sent, deps.now());
  tally.sent += sent.length;
}

/** Delivers due messages until none are left or the time budget is spent. */
export async function deliverDue(deps: DeliveryDeps, opts: { budgetMs?: number; batch?: number } = {}): Promise<DeliveryTally> {
  const tally: DeliveryTally = { sent: 0, retried: 0, failed: 0, skipped: 0, recovered: 0 };
  const recovered = await recoverLapsed(deps.db, deps.now());
  tally.recovered = recovered.requeued + recovered.failed;
  if (recovered.failed > 0) deps.logger?.warn({ failed: recovered.failed }, 'messages interrupted during delivery were failed, not resent');
  const allOutbox = deps.email.provider === 'outbox' && deps.sms.provider === 'outbox';
  const limit = opts.batch ?? (allOutbox ? OUTBOX_BATCH : PROVIDER_BATCH);
  const deadline = Date.now() + (opts.budgetMs ?? 20_000);
  while (Date.now() < deadline) {
    const batch = await claimDue(deps.db, {
      now: deps.now(),
      limit,
      leaseMs: allOutbox ? (deps.outboxLeaseMs ?? LEASE_MS) : LEASE_MS,
      providers: { email: deps.email.provider, sms: deps.sms.provider },
    });
    await deliverBatch(deps, batch, tally);
    if (batch.length < limit) break;
  }
  return tally;
}
