// inventory_levels/update names one item at one location, so the product is read back whole.
// A bulk stock change in Shopify sends one such webhook per item and location; reading each back
// on its own spent one Admin API call apiece against the store's rate limit. Read-backs for a
// store now coalesce: while one call is in flight, the items the next deliveries name queue and
// go together in one nodes() query, and the store's GraphQL client (with the throttle state the
// last answer reported) is kept between deliveries instead of starting blind each time.
import type { Shopify } from '@shopify/shopify-api';
import type { ProductInput } from '../../src/model/catalog.ts';
import { coalesceCalls, type Coalesced } from '../../src/util/coalesce-calls.ts';
import { createAdminGraphql, type ThrottleOptions } from './api-client.ts';
import { INVENTORY_ITEMS_PER_CALL, productsByInventoryItems } from './fetch-catalog.ts';

/**
 * Read-back calls one store may have waiting on Shopify at once. One at a time capped a store's
 * inventory webhooks at eight items per round trip (about 80/s at Shopify's ~100 ms); calls
 * spend from the same leaky bucket, which admin-graphql.ts waits on and retries when throttled.
 */
const READBACKS_IN_FLIGHT = 4;
/** Stores whose reader is kept while idle; past this the idle ones are dropped. */
const KEEP_IDLE = 200;

type Reader = { accessToken: string; lookups: Coalesced<string, ProductInput | null> };

/** The product behind an inventory item gid, or a product gid itself; null when Shopify has none. */
export type InventoryReadback = (shop: string, accessToken: string, gid: string) => Promise<ProductInput | null>;

export function createInventoryReadback(api: Shopify, throttle: ThrottleOptions): InventoryReadback {
  const readers = new Map<string, Reader>();

  const readerFor = (shop: string, accessToken: string): Reader => {
    const found = readers.get(shop);
    // A new token (refresh or reinstall) gets a new client; calls in flight finish on the old one.
    if (found && found.accessToken === accessToken) return found;
    if (readers.size >= KEEP_IDLE) for (const [key, r] of readers) if (r.lookups.idle()) readers.delete(key);
    const call = createAdminGraphql(api, shop, accessToken, throttle);
    const reader: Reader = {
      accessToken,
      lookups: coalesceCalls(
        async (gids: string[]) => {
          // The same item twice in one batch (two locations changed) is asked for once.
          const unique = [...new Set(gids)];
          const products = await productsByInventoryItems(call, shop, unique);
          const byGid = new Map(unique.map((gid, i) => [gid, products[i] ?? null]));
          return gids.map((gid) => byGid.get(gid) ?? null);
        },
        { maxBatch: INVENTORY_ITEMS_PER_CALL, maxInFlight: READBACKS_IN_FLIGHT },
      ),
    };
    readers.set(shop, reader);
    return reader;
  };

  return (shop, accessToken, gid) => readerFor(shop, accessToken).lookups.submit(gid);
}
