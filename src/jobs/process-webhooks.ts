// The worker half of webhook intake: lease due deliveries, let the connector normalise them,
// apply the result through ingest. Several workers drain at once without overlap (SKIP LOCKED).
import { ZodError } from 'zod';
import type { Runtime } from '../boot.ts';
import { Platform } from '../model/store.ts';
import { findStoreById, readSealedAccessToken } from '../db/repositories/stores.ts';
import { leaseDue, markFailed, markProcessed, type InboxEntry } from '../db/repositories/webhook-inbox.ts';
import { applyNormalised } from '../ingest/apply-normalised.ts';

const MAX_ATTEMPTS = 10;
const loggedIgnored = new Set<string>();
const LEASE_MS = 5 * 60_000;

/** A failure no retry can mend: the delivery is kept as failed for support to see. */
export class PermanentWebhookError extends Error {
  override name = 'PermanentWebhookError';
}

export function retryDelayMs(attempts: number): number {
  return Math.min(3_600_000, 5_000 * 2 ** Math.max(0, attempts - 1));
}

async function processEntry(rt: Runtime, entry: InboxEntry): Promise<string> {
  const platform = Platform.parse(entry.source);
  const connector = rt.connectors[platform];
  if (!connector) throw new PermanentWebhookError(`no connector for ${entry.source}`);
  const store = await findStoreById(rt.db.pool, entry.storeId);
  if (!store) throw new PermanentWebhookError('store no longer exists');
  const sealed = await readSealedAccessToken(rt.db.pool, store.id);
  const parts = await connector.normalise(entry.topic, entry.payload, {
    store,
    mapping: store.eventMapping,
    accessToken: sealed ? rt.secrets.open(sealed) : null,
    triggeredAt: entry.triggeredAt,
  });
  const outcomes = await applyNormalised({ pool: rt.db.pool, signals: rt.signals }, store, parts, { source: `inbox:${entry.source}`, id: String(entry.id) }, {
    sourceTime: entry.triggeredAt,
  });
  return outcomes.join('; ');
}

/** Processes due deliveries until none are left or the time budget is spent; returns how many. */
export async function drainWebhooks(rt: Runtime, opts: { batch?: number; budgetMs?: number } = {}): Promise<number> {
  const batch = opts.batch ?? 100;
  const deadline = Date.now() + (opts.budgetMs ?? 20_000);
  let done = 0;
  while (Date.now() < deadline) {
    const due = await leaseDue(rt.db.pool, batch, LEASE_MS);
    for (const entry of due) {
      try {
        const outcome = await processEntry(rt, entry);
        await markProcessed(rt.db.pool, entry.storeId, entry.id, outcome);
        if (outcome.startsWith('ignored') && !loggedIgnored.has(`${entry.source}:${entry.topic}`)) {
          // Once per topic and process: an unhandled topic a platform keeps sending must not flood the log.
          loggedIgnored.add(`${entry.source}:${entry.topic}`);
          rt.logger.info({ topic: entry.topic, source: entry.source }, `${outcome} (logged once per topic)`);
        }
      } catch (err) {
        const permanent = err instanceof PermanentWebhookError || err instanceof ZodError || entry.attempts >= MAX_ATTEMPTS;
        const message = err instanceof ZodError ? `payload did not match: ${err.issues[0]?.path.join('.')}: ${err.issues[0]?.message}` : (err as Error).message;
        rt.logger.warn({ err, source: entry.source, topic: entry.topic, inboxId: entry.id, attempts: entry.attempts, permanent }, 'webhook processing failed');
        await markFailed(rt.db.pool, entry.storeId, entry.id, message, permanent ? null : retryDelayMs(entry.attempts));
      }
      done++;
    }
    if (due.length < batch) break;
  }
  return done;
}
