// The scheduled check of every installed store's hooks. BigCommerce switches a hook off after
// about two days of failed deliveries (our outage, a bad deploy); whatever happened meanwhile
// never arrives. Switching it back on resumes deliveries, and a catalog sync reconciles what
// was missed.
import type { StoreId } from '../../src/model/ids.ts';
import { listBigCommerceInstalls } from '../../src/db/repositories/bigcommerce-stores.ts';
import type { JobHost, ScheduledJob } from '../connector.ts';
import type { StoreApi } from './api-client.ts';
import type { HookReport } from './hooks.ts';

export type HookCheck = { checked: number; repaired: number; failed: number };

/** The part of the app the check uses. */
type HookApp = {
  readonly configured: boolean;
  api(storeHash: string, accessToken: string): StoreApi;
  ensureHooks(api: StoreApi, opts: { refreshHeaders: boolean }): Promise<HookReport>;
};

export async function checkBigCommerceHooks(deps: JobHost & { app: HookApp }): Promise<HookCheck> {
  const result: HookCheck = { checked: 0, repaired: 0, failed: 0 };
  if (!deps.app.configured) return result;
  let after: StoreId | null = null;
  for (;;) {
    const page = await listBigCommerceInstalls(deps.pool, after, 100);
    for (const install of page) {
      result.checked++;
      try {
        const api = deps.app.api(install.storeHash, deps.secrets.open(install.accessTokenSealed));
        const report = await deps.app.ensureHooks(api, { refreshHeaders: false });
        if (report.created.length || report.reactivated.length) {
          result.repaired++;
          await deps.record({ kind: 'catalog-sync-requested', storeId: install.storeId });
          deps.logger.warn({ storeId: install.storeId, ...report }, 'BigCommerce hooks repaired; catalog sync queued to reconcile');
        }
      } catch (err) {
        // One store's revoked token must not stop the check for the others.
        result.failed++;
        deps.logger.warn({ err, storeId: install.storeId }, 'BigCommerce hook check failed');
      }
    }
    if (page.length < 100) return result;
    after = page.at(-1)!.storeId;
  }
}

export function bigcommerceJobs(app: HookApp): ScheduledJob[] {
  return [{ name: 'bigcommerce:hooks:check', every: '1 hour', run: (host) => checkBigCommerceHooks({ ...host, app }) }];
}
