// The BigCommerce connector: webhook verification, normalising thin payloads by reading the
// objects back, the catalog pull, and the app-side calls the install callbacks need. The API
// and login hosts are injectable so tests can point them at a local stub.
import type { Config } from '../../src/config.ts';
import { Metrics } from '../../src/model/event.ts';
import { hostOf, type Connector } from '../connector.ts';
import { StoreInfo } from './payload-schemas.ts';
import { createApiPool, type ApiOptions, type StoreApi } from './api-client.ts';
import { fetchBigCommerceCatalog } from './fetch-catalog.ts';
import { ensureHooks, type HookReport } from './hooks.ts';
import { bigcommerceJobs } from './hook-health.ts';
import { normaliseBigCommerce } from './normalise-delivery.ts';
import { ensureStorefrontScript, removeStorefrontScripts, type ScriptReport } from './scripts.ts';
import { exchangeCode, type BigCommerceGrant } from './oauth.ts';
import { verifySignedPayload, type SignedPayloadResult } from './signed-payload.ts';
import { verifyBigCommerceWebhook } from './verify-webhook.ts';

export type BigCommerceOptions = {
  clientId?: string | undefined;
  clientSecret?: string | undefined;
  /** Where BigCommerce reaches us: the webhook destination and the OAuth redirect. */
  appUrl: string;
  apiBaseUrl?: string;
  loginBaseUrl?: string;
  catalogPageSize?: number;
} & Partial<Omit<ApiOptions, 'apiBaseUrl'>>;

/** What the install callbacks and the hook check use beyond the common interface. */
export type BigCommerceApp = {
  readonly configured: boolean;
  verifySignedPayload(jwt: string, opts?: { now?: Date; signIn?: boolean }): Promise<SignedPayloadResult>;
  exchangeCode(q: { code: string; scope: string; context: string }): Promise<BigCommerceGrant>;
  api(storeHash: string, accessToken: string): StoreApi;
  ensureHooks(api: StoreApi, opts: { refreshHeaders: boolean }): Promise<HookReport>;
  ensureStorefrontScript(api: StoreApi, publicKey: string): Promise<ScriptReport>;
  removeStorefrontScripts(api: StoreApi): Promise<number>;
};

export type BigCommerceConnector = Connector & { readonly platform: 'bigcommerce'; readonly app: BigCommerceApp };

export function isBigCommerceConnector(c: Connector | undefined): c is BigCommerceConnector {
  return c?.platform === 'bigcommerce' && 'app' in c;
}

export function createBigCommerceConnector(o: BigCommerceOptions): BigCommerceConnector {
  const apiFor = createApiPool({ ...o, apiBaseUrl: o.apiBaseUrl ?? 'https://api.bigcommerce.com' });
  const loginBaseUrl = o.loginBaseUrl ?? 'https://login.bigcommerce.com';
  const credentials = () => {
    if (!o.clientId || !o.clientSecret) throw new Error('BIGCOMMERCE_CLIENT_ID and BIGCOMMERCE_CLIENT_SECRET are not set');
    return { clientId: o.clientId, clientSecret: o.clientSecret };
  };
  const app: BigCommerceApp = {
    configured: Boolean(o.clientId && o.clientSecret),
    async verifySignedPayload(jwt, opts) {
      if (!o.clientId || !o.clientSecret) return { ok: false, reason: 'BigCommerce app credentials are not configured' };
      return verifySignedPayload(jwt, { clientId: o.clientId, clientSecret: o.clientSecret }, opts);
    },
    exchangeCode: (q) => exchangeCode(loginBaseUrl, { ...credentials(), redirectUri: `${o.appUrl}/bigcommerce/auth` }, q),
    api: apiFor,
    ensureHooks: (api, opts) => ensureHooks(api, { appUrl: o.appUrl, clientSecret: credentials().clientSecret }, opts),
    ensureStorefrontScript: (api, publicKey) => ensureStorefrontScript(api, { appUrl: o.appUrl, publicKey }),
    removeStorefrontScripts: (api) => removeStorefrontScripts(api, o.appUrl),
  };
  return {
    platform: 'bigcommerce',
    app,
    capabilities: {
      // BigCommerce tracks low inventory at product level only (DESIGN §5).
      lowInventory: [{ level: 'product', metrics: [Metrics.startedCheckout, Metrics.viewedProduct] }],
      pullsCatalog: true,
    },
    verifyWebhook: (req) => verifyBigCommerceWebhook(req, o.clientSecret),
    normalise: (topic, payload, ctx) => normaliseBigCommerce(apiFor, topic, payload, ctx),
    scheduledJobs: () => bigcommerceJobs(app),
    async *fetchCatalog({ store, accessToken, cursor }) {
      if (!accessToken || !store.externalId) throw new Error('the store has no BigCommerce token or store hash');
      yield* fetchBigCommerceCatalog(apiFor(store.externalId, accessToken), store.domain, cursor, o.catalogPageSize ?? 250);
    },
    async storefrontHosts({ store, accessToken }) {
      if (!accessToken || !store.externalId) return [];
      // Store Information API (GET /v2/store): the storefront's primary domain and secure URL.
      const info = StoreInfo.parse(await apiFor(store.externalId, accessToken).call({ method: 'GET', path: '/v2/store' }));
      return [hostOf(info.secure_url), hostOf(info.domain)].flatMap((h) => (h ? [h] : []));
    },
  };
}

/** The production connector, from the environment. */
export function bigcommerceConnector(config: Config): BigCommerceConnector {
  return createBigCommerceConnector({
    clientId: config.bigcommerce.clientId,
    clientSecret: config.bigcommerce.clientSecret,
    appUrl: config.appUrl,
  });
}
