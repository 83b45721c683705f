import type { ProfileId, StoreId, VariantId } from '../../model/ids.ts';
import type { Queryable } from '../pool.ts';

export type BackInStockRequest = {
  profileId: ProfileId;
  variantId: VariantId;
  channels: string[];
  createdAt: Date;
  expiresAt: Date;
  notifiedAt: Date | null;
};

/** Records a request; an open one for the same person and variant is renewed instead. */
export async function upsertBackInStockRequest(
  db: Queryable,
  r: { storeId: StoreId; profileId: ProfileId; variantId: VariantId; channels: string[]; now: Date; expiresAt: Date; quantity?: number; source?: BackInStockSource },
): Promise<void> {
  // Asking again keeps the shopper's place in line (created_at) and takes the newer quantity.
  await db.query(
    `INSERT INTO back_in_stock_requests (store_id, profile_id, variant_id, channels, created_at, expires_at, quantity, source)
     VALUES ($1, $2, $3, $4::text[], $5, $6, $7, $8)
     ON CONFLICT (store_id, variant_id, profile_id) WHERE notified_at IS NULL
     DO UPDATE SET channels = EXCLUDED.channels, expires_at = EXCLUDED.expires_at, quantity = EXCLUDED.quantity`,
    [r.storeId, r.profileId, r.variantId, r.channels, r.now, r.expiresAt, r.quantity ?? 1, r.source ?? 'api'],
  );
}

export type BackInStockSource = 'api' | 'klaviyo' | 'storefront' | 'theme-block';

/** Open requests of one shopper (a public form may not pile up more than a few). */
export async function openRequestCount(db: Queryable, storeId: StoreId, profileId: ProfileId, now: Date): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM back_in_stock_requests WHERE store_id = $1 AND profile_id = $2 AND notified_at IS NULL AND expires_at > $3',
    [storeId, profileId, now],
  );
  return rows[0]?.n ?? 0;
}

/** Days a request waits for stock before it lapses (the store's setting; 90 when never set). */
export async function requestDays(db: Queryable, storeId: StoreId): Promise<number> {
  const { rows } = await db.query<{ request_days: number }>('SELECT request_days FROM back_in_stock_settings WHERE store_id = $1', [storeId]);
  return rows[0]?.request_days ?? 90;
}

export async function setRequestDays(db: Queryable, storeId: StoreId, days: number): Promise<void> {
  await db.query(
    `INSERT INTO back_in_stock_settings (store_id, request_days) VALUES ($1, $2)
     ON CONFLICT (store_id) DO UPDATE SET request_days = EXCLUDED.request_days, updated_at = now()`,
    [storeId, days],
  );
}

export type WaitlistNumbers = { requests: number; waiting: number; notified: number; notifiedByFlow: number; converted: number; expired: number };

/**
 * A store's back-in-stock numbers, with what one flow did: requests ever made, still waiting,
 * notified (by any flow and by this one), converted (this flow's notified shoppers who ordered
 * the variant within `attributionDays` of the notice) and expired unanswered.
 */
export async function waitlistNumbers(db: Queryable, storeId: StoreId, flowId: string, attributionDays: number, now: Date): Promise<WaitlistNumbers> {
  const { rows } = await db.query<WaitlistNumbers>(
    `SELECT count(*)::int AS requests,
       count(*) FILTER (WHERE r.notified_at IS NULL AND r.expires_at > $3)::int AS waiting,
       count(*) FILTER (WHERE r.notified_at IS NOT NULL)::int AS notified,
       count(*) FILTER (WHERE r.notified_flow_id = $2)::int AS "notifiedByFlow",
       count(*) FILTER (WHERE r.notified_flow_id = $2 AND EXISTS (
         SELECT 1 FROM event_items oi JOIN events o ON o.store_id = oi.store_id AND o.id = oi.event_id
         JOIN variants v ON v.store_id = r.store_id AND v.id = r.variant_id
         WHERE oi.store_id = r.store_id AND oi.variant_external_id = v.external_id AND o.profile_id = r.profile_id
           AND o.metric IN ('Ordered Product', 'Placed Order')
           AND o.time >= r.notified_at AND o.time < r.notified_at + make_interval(days => $4)))::int AS converted,
       count(*) FILTER (WHERE r.notified_at IS NULL AND r.expires_at <= $3)::int AS expired
     FROM back_in_stock_requests r WHERE r.store_id = $1`,
    [storeId, flowId, now, attributionDays],
  );
  return rows[0]!;
}

export async function listBackInStockRequests(db: Queryable, storeId: StoreId): Promise<BackInStockRequest[]> {
  const { rows } = await db.query<{ profile_id: string; variant_id: string; channels: string[]; created_at: Date; expires_at: Date; notified_at: Date | null }>(
    `SELECT profile_id, variant_id, channels, created_at, expires_at, notified_at FROM back_in_stock_requests
     WHERE store_id = $1 ORDER BY created_at, id`,
    [storeId],
  );
  return rows.map((r) => ({
    profileId: r.profile_id as ProfileId,
    variantId: r.variant_id as VariantId,
    channels: r.channels,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    notifiedAt: r.notified_at,
  }));
}
