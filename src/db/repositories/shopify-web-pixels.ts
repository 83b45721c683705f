// Bookkeeping for the Shopify web pixel of each store: switched on with which settings, or
// refused with Shopify's reason and when to try again.
import type { StoreId } from '../../model/ids.ts';
import type { Queryable } from '../pool.ts';

export type PixelState = {
  status: 'active' | 'failed';
  webPixelId: string | null;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: Date | null;
  activatedAt: Date | null;
};



/** First retry after this long, doubling with each refusal up to a day. */
const RETRY_BASE = '10 minutes';
const RETRY_CAP = '24 hours';

export async function recordPixelActivated(
  db: Queryable,
  storeId: StoreId,
  p: { webPixelId: string; appUrl: string; publicKey: string },
): Promise<void> {
  await db.query(
    `INSERT INTO shopify_web_pixels (store_id, status, web_pixel_id, app_url, public_key, activated_at)
     VALUES ($1, 'active', $2, $3, $4, now())
     ON CONFLICT (store_id) DO UPDATE SET status = 'active', web_pixel_id = $2, app_url = $3, public_key = $4, attempts = 0,
       last_error = NULL, next_attempt_at = NULL, activated_at = now(), updated_at = now()`,
    [storeId, p.webPixelId, p.appUrl, p.publicKey],
  );
}

/** A refusal: kept for the merchant to read, and the next attempt pushed back further each time. */
export async function recordPixelFailed(db: Queryable, storeId: StoreId, message: string): Promise<void> {
  await db.query(
    `INSERT INTO shopify_web_pixels (store_id, status, attempts, last_error, next_attempt_at)
     VALUES ($1, 'failed', 1, $2, now() + $3::interval)
     ON CONFLICT (store_id) DO UPDATE SET status = 'failed', attempts = shopify_web_pixels.attempts + 1, last_error = $2,
       next_attempt_at = now() + least($4::interval, $3::interval * power(2, least(shopify_web_pixels.attempts, 12))),
       updated_at = now()`,
    [storeId, message.slice(0, 2000), RETRY_BASE, RETRY_CAP],
  );
}

export async function findPixelState(db: Queryable, storeId: StoreId): Promise<PixelState | undefined> {
  const { rows } = await db.query<{
    status: 'active' | 'failed';
    web_pixel_id: string | null;
    attempts: number;
    last_error: string | null;
    next_attempt_at: Date | null;
    activated_at: Date | null;
  }>('SELECT status, web_pixel_id, attempts, last_error, next_attempt_at, activated_at FROM shopify_web_pixels WHERE store_id = $1', [storeId]);
  const r = rows[0];
  return (
    r && {
      status: r.status,
      webPixelId: r.web_pixel_id,
      attempts: r.attempts,
      lastError: r.last_error,
      nextAttemptAt: r.next_attempt_at,
      activatedAt: r.activated_at,
    }
  );
}
