// One SDK client per app instance, authenticated by the client-credentials grant through the
// SDK's AppStrategy. The strategy keeps the access token until it expires, so holding the
// client is what caches the token; AppRemoved drops it.
import { AppStrategy, createClient } from '@wix/sdk';
import { catalogVersioning, inventoryItemsV3, products, productsV3 } from '@wix/stores';
import { checkout } from '@wix/ecom';
import { z } from 'zod';
import { systemClock, throttledFetch, tokenBucket, type Clock } from './rate-limit.ts';

export type WixAppConfig = { appId?: string | undefined; appSecret?: string | undefined; publicKey?: string | undefined };

export type WixApiOptions = {
  /** The fetch API calls go through (tests route it to stubs); the token grant uses the global one. */
  fetch?: typeof fetch;
  clock?: Clock;
  /** Calls a minute per instance, under Wix's ~200. */
  perMinute?: number;
  maxClients?: number;
};

function buildClient(appId: string, appSecret: string, instanceId: string, fetchFn: typeof fetch) {
  return createClient({
    auth: AppStrategy({ appId, appSecret, instanceId }),
    fetch: fetchFn,
    modules: { products, productsV3, inventoryItemsV3, catalogVersioning, checkout },
  });
}
export type InstanceClient = ReturnType<typeof buildClient>;

export type CatalogVersion = 'V1' | 'V3' | 'none';

const VersionResponse = z.looseObject({ catalogVersion: z.string().optional() });

export class WixNotConfiguredError extends Error {
  override name = 'WixNotConfiguredError';
}

/** A Wix API failure status when the SDK reports one (404: gone, 429: rate limited, …). */
export function wixStatus(err: unknown): number | undefined {
  const s = (err as { status?: unknown } | null)?.status;
  return typeof s === 'number' ? s : undefined;
}

export type WixApi = {
  readonly configured: boolean;
  client(instanceId: string): InstanceClient;
  /** Which catalog the site runs; asked once per client. */
  catalogVersion(instanceId: string): Promise<CatalogVersion>;
  /** Mints an access token: proof that the instance exists and has our app installed. */
  verifyInstance(instanceId: string): Promise<void>;
  /** Drops the instance's client and with it the cached access token. */
  forget(instanceId: string): void;
};

type Entry = { client: InstanceClient; version?: Promise<CatalogVersion> };

export function createWixApi(app: WixAppConfig, opts: WixApiOptions = {}): WixApi {
  const clients = new Map<string, Entry>();
  const maxClients = opts.maxClients ?? 1000;
  const entry = (instanceId: string): Entry => {
    const found = clients.get(instanceId);
    if (found) {
      // Re-inserted so the map's order is least recently used first.
      clients.delete(instanceId);
      clients.set(instanceId, found);
      return found;
    }
    if (!app.appId || !app.appSecret) throw new WixNotConfiguredError('WIX_APP_ID and WIX_APP_SECRET are not set');
    const limiter = tokenBucket({ perMinute: opts.perMinute ?? 180, burst: 20, clock: opts.clock ?? systemClock });
    const base = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
    const created: Entry = { client: buildClient(app.appId, app.appSecret, instanceId, throttledFetch(limiter, base, opts.clock)) };
    clients.set(instanceId, created);
    if (clients.size > maxClients) clients.delete(clients.keys().next().value!);
    return created;
  };
  return {
    configured: Boolean(app.appId && app.appSecret),
    client: (instanceId) => entry(instanceId).client,
    catalogVersion(instanceId) {
      const e = entry(instanceId);
      e.version ??= e.client.catalogVersioning.getCatalogVersion().then((r) => {
        const v = VersionResponse.parse(r).catalogVersion;
        return v === 'V3_CATALOG' ? 'V3' : v === 'V1_CATALOG' ? 'V1' : 'none';
      });
      // A failed lookup is not remembered: the next call asks again.
      e.version.catch(() => {
        e.version = undefined;
      });
      return e.version;
    },
    async verifyInstance(instanceId) {
      await entry(instanceId).client.auth.getAuthHeaders();
    },
    forget(instanceId) {
      clients.delete(instanceId);
    },
  };
}
