// The Shopify connector: signed webhooks in, the common model out, and the catalog pulled
// through the Admin GraphQL API. Install, token refresh and scheduling live beside it.
import type { Shopify } from '@shopify/shopify-api';
import { z } from 'zod';
import type { Config } from '../../src/config.ts';
import { Metrics } from '../../src/model/event.ts';
import { ExternalProductId } from '../../src/model/ids.ts';
import type { ProductInput } from '../../src/model/catalog.ts';
import type { Connector, NormaliseContext, Normalised } from '../connector.ts';
import { createAdminGraphql, type ThrottleOptions } from './api-client.ts';
import { catalogPages } from './fetch-catalog.ts';
import { createInventoryReadback, type InventoryReadback } from './inventory-readback.ts';
import { decodeGrant } from './credentials.ts';
import { checkoutEvents, customerProfile, identityOf, orderChangeEvents, orderEvents } from './normalise-orders.ts';
import { fromProductPayload, hasUnknownTracking, toProductInput } from './normalise-catalog.ts';
import {
  CheckoutPayload,
  CustomerPayload,
  CustomerRedactPayload,
  DataRequestPayload,
  InventoryLevelPayload,
  OrderPayload,
  ProductDeletePayload,
  ProductPayload,
} from './payload-schemas.ts';
import { COMPLIANCE_TOPICS, createShopifyApi, shopifyCredentials } from './shopify-api.ts';
import { shopifyJobs } from './jobs.ts';
import { verifyShopifyWebhook } from './verify-webhook.ts';

export type ShopifyConnector = Connector & { readonly api: Shopify };

const COMPLIANCE = new Set<string>(COMPLIANCE_TOPICS);

const ignored = (reason: string): Normalised[] => [{ kind: 'ignored', reason }];

/** The shop's primary (often custom) domain, where its product and checkout links point. */
export const SHOP_DOMAINS_QUERY = `query StoreflowShopDomains { shop { primaryDomain { host } myshopifyDomain } }`;
const ShopDomains = z.object({ shop: z.object({ primaryDomain: z.object({ host: z.string() }).nullish(), myshopifyDomain: z.string().nullish() }) });

function adminCall(api: Shopify, ctx: { store: { domain: string }; accessToken: string | null }, throttle: ThrottleOptions) {
  if (!ctx.accessToken) return undefined;
  return createAdminGraphql(api, ctx.store.domain, decodeGrant(ctx.accessToken).accessToken, throttle);
}

/**
 * The delivery's own location level joins the item's read-back levels when the read-back did not
 * list that location (it lists the first few); the read-back, being later, wins where both say.
 */
function withReportedLevel(product: ProductInput, level: InventoryLevelPayload): ProductInput {
  return {
    ...product,
    variants: product.variants.map((v) =>
      v.locationLevels && !v.locationLevels.some((l) => l.locationId === level.location_id)
        ? { ...v, locationLevels: [...v.locationLevels, { locationId: level.location_id, available: level.available }] }
        : v,
    ),
  };
}

async function normalise(readback: InventoryReadback, topic: string, payload: unknown, ctx: NormaliseContext): Promise<Normalised[]> {
  // After uninstall only the privacy topics still matter (shop/redact comes 48 hours later).
  if (ctx.store.status !== 'active' && !COMPLIANCE.has(topic)) return ignored(`${topic} for an uninstalled shop`);
  const receivedAt = ctx.triggeredAt ?? new Date();
  switch (topic) {
    case 'products/create':
    case 'products/update': {
      const p = ProductPayload.parse(payload);
      const stored = ctx.trackedVariants ? await ctx.trackedVariants(p.variants.map((v) => v.id)) : new Map<string, boolean>();
      const product = fromProductPayload(p, stored);
      if (hasUnknownTracking(product) && ctx.accessToken) {
        // A variant we never read: whether it is tracked is its inventory item's to say, so the
        // product is read back (by its gid, batched with other read-backs) before any of it counts.
        const read = await readback(ctx.store.domain, decodeGrant(ctx.accessToken).accessToken, `gid://shopify/Product/${p.id}`);
        if (read) return [{ kind: 'catalog', products: [read] }];
      }
      // Unknown variants, if any are left, count for nothing until a read-back or sync says.
      return [{ kind: 'catalog', products: [toProductInput(product, ctx.store.domain)] }];
    }
    case 'products/delete':
      return [{ kind: 'product-deleted', externalIds: [ExternalProductId.parse(ProductDeletePayload.parse(payload).id)] }];
    case 'inventory_levels/update': {
      // The payload names one inventory item at one location. An item stored with every location
      // it is stocked at takes the report as it is: its stock is the sum of its latest level at
      // each location. Any other item's product is read back whole (once; the read lists its
      // locations), since Shopify's query-cost budget allows only a few such reads a second.
      const level = InventoryLevelPayload.parse(payload);
      const at = Date.parse(level.updated_at ?? '');
      if (Number.isFinite(at) && (await ctx.summableStockItems?.([level.inventory_item_id]))?.has(level.inventory_item_id)) {
        return [{ kind: 'stock-levels', levels: [{ stockItemId: level.inventory_item_id, locationId: level.location_id, available: level.available, at: new Date(at) }] }];
      }
      if (!ctx.accessToken) return ignored('no access token to look the inventory item up');
      const gid = level.admin_graphql_api_id?.startsWith('gid://shopify/InventoryItem/')
        ? level.admin_graphql_api_id
        : `gid://shopify/InventoryItem/${level.inventory_item_id}`;
      const product = await readback(ctx.store.domain, decodeGrant(ctx.accessToken).accessToken, gid);
      return product ? [{ kind: 'catalog', products: [withReportedLevel(product, level)] }] : ignored(`inventory item ${level.inventory_item_id} has no product`);
    }
    case 'checkouts/create':
    case 'checkouts/update': {
      const events = checkoutEvents(CheckoutPayload.parse(payload), receivedAt);
      return events.length ? [{ kind: 'events', events }] : ignored('checkout names no shopper or no catalog item yet');
    }
    case 'orders/create': {
      const events = orderEvents(OrderPayload.parse(payload), receivedAt);
      return events.length ? [{ kind: 'events', events }] : ignored('order names no shopper');
    }
    case 'orders/fulfilled':
    case 'orders/cancelled':
    case 'orders/updated': {
      const events = orderChangeEvents(OrderPayload.parse(payload), receivedAt);
      return events.length ? [{ kind: 'events', events }] : ignored('order names no shopper, or is not fulfilled, cancelled or refunded');
    }
    case 'customers/create':
    case 'customers/update': {
      const profile = customerProfile(CustomerPayload.parse(payload));
      return profile ? [{ kind: 'profiles', profiles: [profile] }] : ignored('customer has no usable identifier');
    }
    case 'app/uninstalled':
      return [{ kind: 'uninstalled' }];
    case 'customers/redact': {
      const person = identityOf(CustomerRedactPayload.parse(payload).customer);
      return person ? [{ kind: 'erase-personal-data', people: [person] }] : ignored('redaction names no customer');
    }
    case 'customers/data_request': {
      const req = DataRequestPayload.parse(payload);
      const person = identityOf(req.customer);
      return person
        ? [{ kind: 'export-personal-data', requestId: `shopify:${req.data_request.id}`, people: [person] }]
        : ignored('data request names no customer');
    }
    case 'shop/redact':
      return [{ kind: 'erase-personal-data', people: 'everyone' }];
    default:
      return ignored(`topic ${topic} is not handled`);
  }
}

export function createShopifyConnector(config: Config, opts: { throttle?: ThrottleOptions } = {}): ShopifyConnector | undefined {
  const creds = shopifyCredentials(config);
  if (!creds) return undefined;
  const api = createShopifyApi(config, creds);
  const throttle = opts.throttle ?? {};
  const readback = createInventoryReadback(api, throttle);
  return {
    platform: 'shopify',
    api,
    capabilities: {
      // Shopify's row of the low-inventory table (DESIGN §5).
      lowInventory: [
        { level: 'product', metrics: [Metrics.startedCheckout, Metrics.viewedProduct] },
        { level: 'variant', metrics: [Metrics.startedCheckout] },
      ],
      pullsCatalog: true,
    },
    verifyWebhook: (req) => verifyShopifyWebhook(req, creds.apiSecret),
    acceptsWhileUninstalled: (topic) => COMPLIANCE.has(topic),
    normalise: (topic, payload, ctx) => normalise(readback, topic, payload, ctx),
    scheduledJobs: () => shopifyJobs(api),
    async *fetchCatalog(ctx) {
      const call = adminCall(api, ctx, throttle);
      if (!call) throw new Error(`no access token for ${ctx.store.domain}; reinstall the app`);
      yield* catalogPages(call, ctx.store.domain, ctx.cursor);
    },
    async storefrontHosts(ctx) {
      const call = adminCall(api, ctx, throttle);
      if (!call) return [];
      const { shop } = ShopDomains.parse(await call(SHOP_DOMAINS_QUERY));
      return [shop.primaryDomain?.host, shop.myshopifyDomain].flatMap((h) => (h ? [h] : []));
    },
  };
}
