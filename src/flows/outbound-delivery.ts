// The outbound call pump: claims due webhook calls and makes them outside the flow tick. Each
// call writes its own outcome the moment it ends, so a receiver that takes its full timeout holds
// up nothing but its own calls; calls to one host are bounded by the claim (see the repository).
import type pg from 'pg';
import type { Logger } from 'pino';
import type { SecretBox } from '../security/secret-box.ts';
import type { OutboundRules } from '../security/outbound-url.ts';
import { claimOutboundCalls, recordCallOutcome, type ClaimedCall } from '../db/repositories/outbound-calls.ts';
import { backoffMs } from '../messaging/deliver.ts';
import { signingSecretsFor } from '../stores/signing-secret.ts';
import { callWebhook, DEFAULT_CALL_TIMEOUT_MS, WEBHOOK_MAX_ATTEMPTS } from './outbound-webhook.ts';

/** Calls in flight to one host, across all workers. */
export const PER_HOST_CONCURRENCY = 4;
/** Calls in flight from one worker. */
const MAX_IN_FLIGHT = 64;
/** A lease outlives the call's own timeout, so a live call is never taken over. */
const LEASE_MARGIN_MS = 30_000;

export type OutboundDeps = {
  pool: pg.Pool;
  secrets: SecretBox;
  rules: OutboundRules;
  logger?: Logger;
  now?: () => Date;
  perHost?: number;
  timeoutMs?: number;
};

export type OutboundPump = {
  /** Claims what is due and starts it; returns how many calls it started (it does not wait for them). */
  run(): Promise<number>;
  /** Resolves once every call started so far has ended and recorded its outcome. */
  idle(): Promise<void>;
};

export function createOutboundPump(deps: OutboundDeps): OutboundPump {
  const now = deps.now ?? (() => new Date());
  const timeoutMs = deps.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  const inFlight = new Set<Promise<void>>();

  async function finish(call: ClaimedCall, outcome: Parameters<typeof recordCallOutcome>[2]): Promise<void> {
    const recorded = await recordCallOutcome(deps.pool, call, outcome, now());
    if (!recorded) deps.logger?.warn({ callId: call.id, storeId: call.storeId }, 'outbound call outcome not recorded: its attempt was taken over');
  }

  async function make(call: ClaimedCall): Promise<void> {
    if (call.attempts > WEBHOOK_MAX_ATTEMPTS) {
      // Only a call whose worker died mid-attempt gets here: its last attempt's fate is unknown.
      return finish(call, { status: 'failed', responseStatus: null, error: `gave up after ${WEBHOOK_MAX_ATTEMPTS} attempts (the last was interrupted)`, retryAt: null });
    }
    const secrets = await signingSecretsFor(deps.pool, deps.secrets, call.storeId, now());
    const result = await callWebhook({ url: call.url, key: call.idempotencyKey, body: JSON.stringify(call.body), secrets, rules: deps.rules, timeoutMs }, now());
    // The URL's path and query may carry a receiver's token: only the host is logged.
    const where = { callId: call.id, storeId: call.storeId, runId: call.runId, host: call.host, attempt: call.attempts };
    if (result.ok) return finish(call, { status: 'delivered', responseStatus: result.status, error: null, retryAt: null });
    const final = result.permanent || call.attempts >= WEBHOOK_MAX_ATTEMPTS;
    deps.logger?.warn({ ...where, error: result.error, final }, 'outbound webhook call failed');
    const error = final && !result.permanent ? `gave up after ${call.attempts} attempts: ${result.error}` : result.error;
    await finish(call, {
      status: final ? 'failed' : 'queued',
      responseStatus: result.status ?? null,
      error,
      retryAt: final ? null : new Date(now().getTime() + backoffMs(call.attempts)),
    });
  }

  return {
    async run() {
      let started = 0;
      for (;;) {
        const room = MAX_IN_FLIGHT - inFlight.size;
        const claimed = await claimOutboundCalls(deps.pool, { now: now(), limit: room, perHost: deps.perHost ?? PER_HOST_CONCURRENCY, leaseMs: timeoutMs + LEASE_MARGIN_MS });
        for (const call of claimed) {
          const p: Promise<void> = make(call)
            .catch((err: unknown) => deps.logger?.error({ err, callId: call.id, storeId: call.storeId }, 'outbound call could not be made or recorded'))
            .finally(() => inFlight.delete(p));
          inFlight.add(p);
        }
        started += claimed.length;
        if (claimed.length === 0 || claimed.length < room) return started;
      }
    },
    async idle() {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
  };
}
