// What a finished OAuth grant does: the store is created or revived with the new grant sealed,
// Shopify is told where to send webhooks, the first catalog pull is queued and the storefront web
// pixel switched on. Every step is safe to repeat, so a merchant who reinstalls (or reloads the
// callback) ends in the same state.
import type { Session, Shopify } from '@shopify/shopify-api';
import type { Logger } from 'pino';
import type pg from 'pg';
import type { SecretBox } from '../../src/security/secret-box.ts';
import type { Store } from '../../src/model/store.ts';
import { createStore, StoreExistsError } from '../../src/stores/create-store.ts';
import { findStoreByDomain, saveInstallation } from '../../src/db/repositories/stores.ts';
import { requestSync } from '../../src/db/repositories/catalog-syncs.ts';
import { saveTokenExpiry } from '../../src/db/repositories/shopify-tokens.ts';
import { encodeGrant, grantFromSession } from './credentials.ts';
import { activateStorePixel } from './web-pixel-activation.ts';

export type InstallDeps = { pool: pg.Pool; secrets: SecretBox; api: Shopify; logger?: Pick<Logger, 'warn'> };

export class WebhookRegistrationError extends Error {
  override name = 'WebhookRegistrationError';
}

async function findOrCreateStore(deps: InstallDeps, domain: string): Promise<Store> {
  const found = await findStoreByDomain(deps.pool, 'shopify', domain);
  if (found) return found;
  try {
    return (await createStore(deps.pool, deps.secrets, { platform: 'shopify', domain })).store;
  } catch (err) {
    // Two callbacks for one shop at once: the other one created it.
    const raced = err instanceof StoreExistsError || (err as { code?: string }).code === '23505';
    const store = raced ? await findStoreByDomain(deps.pool, 'shopify', domain) : undefined;
    if (!store) throw err;
    return store;
  }
}

export async function completeInstall(deps: InstallDeps, session: Session): Promise<Store> {
  const grant = grantFromSession(session);
  const existing = await findOrCreateStore(deps, session.shop);
  const store = await saveInstallation(deps.pool, existing.id, {
    accessTokenSealed: deps.secrets.seal(encodeGrant(grant)),
    scopes: (session.scope ?? '').split(',').map((s) => s.trim()).filter(Boolean),
  });
  await saveTokenExpiry(deps.pool, store.id, grant);
  const results = await deps.api.webhooks.register({ session });
  const failed = Object.entries(results).filter(([, rs]) => rs.some((r) => !r.success));
  if (failed.length) {
    throw new WebhookRegistrationError(`Shopify refused the webhook subscriptions for ${failed.map(([t]) => t).join(', ')}`);
  }
  await requestSync(deps.pool, store.id);
  // Last, and never failing the install: a refusal is recorded and the worker retries it. The
  // merchant is waiting on this redirect, so a throttled shop is left to the worker as well.
  await activateStorePixel(deps, store, grant.accessToken, { maxWaitMs: 5_000 });
  return store;
}
