// The scheduled check of every installed store's hooks. BigCommerce switches a hook off after
// about two days of failed deliveries (our outage, a bad deploy); whatever happened meanwhile
// never arrives. Switching it back on resumes deliveries, and a catalog sync reconciles what
// was missed.
import type pg from 'pg';
import type { Logger } from 'pino';
import type { SecretBox } from '../../src/security/secret-box.ts';
import type { StoreId } from '../../src/model/ids.ts';
import { listBigCommerceInstalls } from '../../src/db/repositories/bigcommerce-stores.ts';
import { requestSync } from '../../src/db/repositories/catalog-syncs.ts';
import type { Connector } from '../connector.ts';
import { isBigCommerceConnector, type BigCommerceApp } from './bigcommerce-connector.ts';

export type HookCheck = { checked: number; repaired: number; failed: number };

export async function checkBigCommerceHooks(deps: { pool: pg.Pool; secrets: SecretBox; logger: Logger; app: BigCommerceApp }): Promise<HookCheck> {
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
          await requestSync(deps.pool, install.storeId);
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

/** The worker's entry: the check with the runtime's BigCommerce connector, when there is one. */
export async function runBigCommerceHookCheck(rt: {
  db: { pool: pg.Pool };
  secrets: SecretBox;
  logger: Logger;
  connectors: Readonly<Partial<Record<string, Connector>>>;
}): Promise<HookCheck> {
  const c = rt.connectors.bigcommerce;
  if (!isBigCommerceConnector(c)) return { checked: 0, repaired: 0, failed: 0 };
  return checkBigCommerceHooks({ pool: rt.db.pool, secrets: rt.secrets, logger: rt.logger, app: c.app });
}
