// What Shopify's scheduled jobs read: tokens about to expire, installed shops, pixels due a call.
// Reads only, so the Shopify connector may run them itself; what the jobs learn is saved through
// src/stores/platform-records.ts.
import type { Queryable } from '../pool.ts';
import type { StoreId } from '../../model/ids.ts';

export type DueToken = { storeId: StoreId; domain: string; sealed: string };

export type PixelDue = { storeId: StoreId; domain: string; publicKey: string; sealed: string };

/** Installed stores whose token runs out before `before`, soonest first. */
export async function listTokensDue(db: Queryable, before: Date, limit: number): Promise<DueToken[]> {
  const { rows } = await db.query<{ id: string; domain: string; access_token_enc: string }>(
    `SELECT s.id, s.domain, s.access_token_enc FROM shopify_tokens t JOIN stores s ON s.id = t.store_id
     WHERE t.expires_at < $1 AND s.status = 'active' AND s.access_token_enc IS NOT NULL
     ORDER BY t.expires_at LIMIT $2`,
    [before, limit],
  );
  return rows.map((r) => ({ storeId: r.id as StoreId, domain: r.domain, sealed: r.access_token_enc }));
}

/** Installed Shopify stores, for the scheduled catalog reconciliation. */
export async function listInstalledShopifyStores(db: Queryable): Promise<StoreId[]> {
  const { rows } = await db.query<{ id: string }>(
    "SELECT id FROM stores WHERE platform = 'shopify' AND status = 'active' AND access_token_enc IS NOT NULL ORDER BY id",
  );
  return rows.map((r) => r.id as StoreId);
}

/**
 * Installed Shopify stores whose pixel needs a call: never activated (installed before the
 * pixel was), refused and due for a retry, or active with settings that no longer match the
 * store's public key or our address.
 */
export async function listPixelsDue(db: Queryable, appUrl: string, now: Date, limit: number): Promise<PixelDue[]> {
  const { rows } = await db.query<{ id: string; domain: string; public_key: string; access_token_enc: string }>(
    `SELECT s.id, s.domain, s.public_key, s.access_token_enc
     FROM stores s LEFT JOIN shopify_web_pixels p ON p.store_id = s.id
     WHERE s.platform = 'shopify' AND s.status = 'active' AND s.access_token_enc IS NOT NULL
       AND (p.store_id IS NULL
         OR (p.status = 'failed' AND p.next_attempt_at <= $2)
         OR (p.status = 'active' AND (p.app_url IS DISTINCT FROM $1 OR p.public_key IS DISTINCT FROM s.public_key)))
     ORDER BY p.next_attempt_at NULLS FIRST, s.id LIMIT $3`,
    [appUrl, now, limit],
  );
  return rows.map((r) => ({ storeId: r.id as StoreId, domain: r.domain, publicKey: r.public_key, sealed: r.access_token_enc }));
}
