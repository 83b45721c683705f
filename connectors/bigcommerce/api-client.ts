// One axios client per store. BigCommerce's quota is shared by every app on the store and
// refills per window, so running out is normal: we wait for the window instead of failing.
// 5xx and dropped connections are retried with backoff; 404 is an answer, not a failure.
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { setTimeout as sleep } from 'node:timers/promises';

export type ApiOptions = {
  /** https://api.bigcommerce.com in production; a local stub in tests. */
  apiBaseUrl: string;
  /** First backoff step for 5xx and network errors; doubles per attempt. */
  retryBaseMs?: number;
  maxRetries?: number;
  /** How many times a 429 is waited out before the call gives up. */
  maxRateLimitWaits?: number;
  timeoutMs?: number;
};

export class BigCommerceNotFound extends Error {
  override name = 'BigCommerceNotFound';
}

export class BigCommerceApiError extends Error {
  override name = 'BigCommerceApiError';
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

type Call = { method: 'GET' | 'POST' | 'PUT' | 'DELETE'; path: string; params?: Record<string, string | number>; data?: unknown };

export type StoreApi = {
  readonly storeHash: string;
  /** Resolves with the parsed JSON body; throws BigCommerceNotFound on 404. */
  call(c: Call): Promise<unknown>;
};

/** A window never lasts longer than this; a larger header value is treated as this. */
const MAX_WAIT_MS = 60_000;

function headerMs(res: AxiosResponse, name: string): number | null {
  const v = Number(res.headers[name]);
  return Number.isFinite(v) && v >= 0 ? Math.min(v, MAX_WAIT_MS) : null;
}

export function createStoreApi(storeHash: string, accessToken: string, opts: ApiOptions): StoreApi {
  const http: AxiosInstance = axios.create({
    baseURL: `${opts.apiBaseUrl.replace(/\/$/, '')}/stores/${storeHash}`,
    headers: { 'X-Auth-Token': accessToken, Accept: 'application/json', 'Content-Type': 'application/json' },
    timeout: opts.timeoutMs ?? 30_000,
    // Every status is handled below; axios must not throw before we read the rate-limit headers.
    validateStatus: () => true,
  });
  const retryBase = opts.retryBaseMs ?? 500;
  const maxRetries = opts.maxRetries ?? 4;
  const maxWaits = opts.maxRateLimitWaits ?? 10;
  // Shared by every call on this store: when the quota is spent, all of them hold back.
  let quietUntil = 0;

  async function call(c: Call): Promise<unknown> {
    let failures = 0;
    let waits = 0;
    for (;;) {
      const hold = quietUntil - Date.now();
      if (hold > 0) await sleep(hold);
      let res: AxiosResponse;
      try {
        res = await http.request({ method: c.method, url: c.path, params: c.params, data: c.data });
      } catch (err) {
        // Rethrown without axios's request config: it carries the token, and errors get logged.
        if (failures++ >= maxRetries) throw new BigCommerceApiError(0, `${c.method} ${c.path}: ${(err as { code?: string }).code ?? (err as Error).message}`);
        await sleep(retryBase * 2 ** (failures - 1));
        continue;
      }
      const resetMs = headerMs(res, 'x-rate-limit-time-reset-ms');
      if (res.headers['x-rate-limit-requests-left'] !== undefined && Number(res.headers['x-rate-limit-requests-left']) <= 0 && resetMs !== null) {
        quietUntil = Math.max(quietUntil, Date.now() + resetMs);
      }
      if (res.status === 429) {
        if (waits++ >= maxWaits) throw new BigCommerceApiError(429, `${c.method} ${c.path}: still rate limited after ${maxWaits} waits`);
        quietUntil = Math.max(quietUntil, Date.now() + (resetMs ?? 1000));
        continue;
      }
      if (res.status >= 500) {
        if (failures++ >= maxRetries) throw new BigCommerceApiError(res.status, `${c.method} ${c.path}: ${res.status} after ${maxRetries} retries`);
        await sleep(retryBase * 2 ** (failures - 1));
        continue;
      }
      if (res.status === 404) throw new BigCommerceNotFound(`${c.method} ${c.path}: not found`);
      if (res.status >= 400) throw new BigCommerceApiError(res.status, `${c.method} ${c.path}: ${res.status} ${describe(res.data)}`);
      // BigCommerce answers 204 with no body for empty v2 collections.
      return res.status === 204 || res.data === '' ? null : res.data;
    }
  }
  return { storeHash, call };
}

function describe(body: unknown): string {
  if (body && typeof body === 'object' && 'title' in body) return String((body as { title: unknown }).title).slice(0, 300);
  return typeof body === 'string' ? body.slice(0, 300) : '';
}

/** Clients by store, rebuilt when the token changes (a reinstall issues a new one). */
export function createApiPool(opts: ApiOptions): (storeHash: string, accessToken: string) => StoreApi {
  const clients = new Map<string, { token: string; api: StoreApi }>();
  return (storeHash, accessToken) => {
    const known = clients.get(storeHash);
    if (known && known.token === accessToken) return known.api;
    const api = createStoreApi(storeHash, accessToken, opts);
    clients.set(storeHash, { token: accessToken, api });
    return api;
  };
}
