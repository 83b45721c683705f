import { expireDeliveries } from '../db/repositories/deliveries.ts';
import { purgeProcessed } from '../db/repositories/webhook-inbox.ts';
import { purgeLapsedHits } from '../db/repositories/rate-limits.ts';
import type { Runtime } from '../runtime.ts';

/** Forgets delivery ids and processed deliveries past the retention window (platforms stop retrying long before). */
export async function runExpireDeliveries(rt: Pick<Runtime, 'db' | 'config' | 'logger'>, now: Date = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - rt.config.deliveryRetentionDays * 24 * 3600_000);
  const removed = await expireDeliveries(rt.db.pool, cutoff);
  const purged = await purgeProcessed(rt.db.pool, cutoff);
  // Hourly is often enough for sign-in counts: a lapsed one restarts at its next hit anyway.
  const lapsedHits = await purgeLapsedHits(rt.db.pool, now);
  rt.logger.info({ removed, purged, lapsedHits, cutoff }, 'expired webhook delivery ids, processed deliveries and lapsed sign-in counts');
  return removed;
}
