// The one @shopify/shopify-api instance per connector: OAuth, webhook registration and the
// Admin GraphQL client all come from it, configured from our typed Config.
import '@shopify/shopify-api/adapters/node';
import { ApiVersion, DeliveryMethod, LogSeverity, Session, shopifyApi, type Shopify } from '@shopify/shopify-api';
import type { Config } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';

/** Pinned so payload shapes do not shift under us; bump deliberately with the fixtures. */
export const API_VERSION = ApiVersion.January26;

export const WEBHOOK_PATH = '/webhooks/shopify';
export const CALLBACK_PATH = '/shopify/callback';

/** Topics subscribed through the Admin API at install. Compliance topics are set in shopify.app.toml. */
export const SUBSCRIBED_TOPICS = [
  'products/create',
  'products/update',
  'products/delete',
  'inventory_levels/update',
  'checkouts/create',
  'checkouts/update',
  'orders/create',
  // Fulfilled Order, Cancelled Order; refunds arrive only on orders/updated with the customer
  // (refunds/create carries no customer to attribute them to).
  'orders/fulfilled',
  'orders/cancelled',
  'orders/updated',
  'customers/create',
  'customers/update',
  'app/uninstalled',
] as const;

export const COMPLIANCE_TOPICS = ['customers/data_request', 'customers/redact', 'shop/redact'] as const;

export type ShopifyCredentials = { apiKey: string; apiSecret: string };

export function shopifyCredentials(config: Config): ShopifyCredentials | undefined {
  const { apiKey, apiSecret } = config.shopify;
  return apiKey && apiSecret ? { apiKey, apiSecret } : undefined;
}

export function createShopifyApi(config: Config, creds: ShopifyCredentials): Shopify {
  const appUrl = new URL(config.appUrl);
  const log = createLogger(config.logLevel).child({ component: 'shopify-api' });
  const shopify = shopifyApi({
    apiKey: creds.apiKey,
    apiSecretKey: creds.apiSecret,
    scopes: config.shopify.scopes,
    hostName: appUrl.host,
    hostScheme: appUrl.protocol === 'http:' ? 'http' : 'https',
    apiVersion: API_VERSION,
    // The app is embedded in the admin, but the library's embedded mode only renames sessions we
    // do not keep and skips a cookie we do not read: our own sessions, started from a verified
    // session token (embedded-app.ts in the web layer), do that work.
    isEmbeddedApp: false,
    logger: {
      level: LogSeverity.Warning,
      log: async (severity, message) => {
        if (severity === LogSeverity.Error) log.error(message);
        else log.warn(message);
      },
    },
  });
  shopify.webhooks.addHandlers(
    Object.fromEntries(SUBSCRIBED_TOPICS.map((t) => [t, { deliveryMethod: DeliveryMethod.Http, callbackUrl: WEBHOOK_PATH }])),
  );
  return shopify;
}

/** An offline session for one shop, enough for the library's clients and webhook registration. */
export function offlineSession(shopify: Shopify, shop: string, accessToken: string): Session {
  return new Session({ id: shopify.session.getOfflineId(shop), shop, state: '', isOnline: false, accessToken });
}
