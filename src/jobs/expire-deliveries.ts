import { expireDeliveries } from '../db/repositories/deliveries.ts';
import { purgeProcessed } from '../db/repositories/webhook-inbox.ts';
import type { Runtime } from '../boot.ts';

/** Forgets delivery ids and processed deliveries past the retention window (platforms stop retrying long before). */
export async function runExpireDeliveries(rt: Pick<Runtime, 'db' | 'config' | 'logger'>, now: Date = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - rt.config.deliveryRetentionDays * 24 * 3600_000);
  const removed = await expireDeliveries(rt.db.pool, cutoff);
  const purged = await purgeProcessed(rt.db.pool, cutoff);
  rt.logger.info({ removed, purged, cutoff }, 'expired webhook delivery ids and processed deliveries');
  return removed;
}
