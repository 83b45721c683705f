// Our webhook subscriptions on a store, through the v3 hooks API. BigCommerce allows one hook
// per store, app, scope and destination, so we list first and update in place: running this
// again (reinstall, scheduled check) converges instead of piling up duplicates or failing.
import { BigCommerceApiError, type StoreApi } from './api-client.ts';
import { HOOK_SCOPES } from './normalise-delivery.ts';
import { HookResponse, HooksResponse, type ApiHook } from './payload-schemas.ts';
import { SECRET_HEADER, hookSecret } from './verify-webhook.ts';

export type HookReport = { created: string[]; reactivated: string[]; unchanged: number };

export function webhookDestination(appUrl: string): string {
  return `${appUrl.replace(/\/$/, '')}/webhooks/bigcommerce`;
}

async function listHooks(api: StoreApi): Promise<ApiHook[]> {
  const hooks: ApiHook[] = [];
  for (let page = 1; page <= 20; page++) {
    const body = HooksResponse.parse(await api.call({ method: 'GET', path: '/v3/hooks', params: { page, limit: 250 } }));
    hooks.push(...body.data);
    if (body.data.length < 250) break;
  }
  return hooks;
}

/**
 * False when the hook was there after all: BigCommerce answers 422 to a duplicate, which is what
 * an install running at the same moment (a retried callback) leaves. With the same destination
 * and the same secret header, its hook is ours.
 */
async function createHook(api: StoreApi, hook: { scope: string; destination: string; headers: Record<string, string> }): Promise<boolean> {
  try {
    HookResponse.parse(await api.call({ method: 'POST', path: '/v3/hooks', data: { ...hook, is_active: true } }));
    return true;
  } catch (err) {
    if (!(err instanceof BigCommerceApiError && err.status === 422)) throw err;
    const now = await listHooks(api);
    if (!now.some((h) => h.scope === hook.scope && h.destination === hook.destination)) throw err;
    return false;
  }
}

/**
 * Makes sure every scope has an active hook to our destination carrying the store's secret
 * header. `refreshHeaders` rewrites the header on hooks that already exist (install, where the
 * secret may have been rotated); the scheduled check only reactivates and fills gaps.
 */
export async function ensureHooks(
  api: StoreApi,
  app: { appUrl: string; clientSecret: string },
  opts: { refreshHeaders: boolean },
): Promise<HookReport> {
  const destination = webhookDestination(app.appUrl);
  const headers = { [SECRET_HEADER]: hookSecret(app.clientSecret, api.storeHash) };
  const ours = new Map((await listHooks(api)).filter((h) => h.destination === destination).map((h) => [h.scope, h]));
  const report: HookReport = { created: [], reactivated: [], unchanged: 0 };
  for (const scope of HOOK_SCOPES) {
    const hook = ours.get(scope);
    if (!hook) {
      if (await createHook(api, { scope, destination, headers })) report.created.push(scope);
      else report.unchanged++;
    } else if (!hook.is_active || opts.refreshHeaders) {
      // Deactivated after BigCommerce gave up on failed deliveries: switching it back on resumes them.
      HookResponse.parse(await api.call({ method: 'PUT', path: `/v3/hooks/${hook.id}`, data: { is_active: true, headers } }));
      if (!hook.is_active) report.reactivated.push(scope);
      else report.unchanged++;
    } else {
      report.unchanged++;
    }
  }
  return report;
}
