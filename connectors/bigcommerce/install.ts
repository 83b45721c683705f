// The app callbacks' use cases: install (code exchange → token stored sealed → hooks → first
// catalog sync), and the signed callbacks that act on an installed store. Each is safe to
// repeat: BigCommerce retries callbacks and merchants reinstall.
import type pg from 'pg';
import type { SecretBox } from '../../src/security/secret-box.ts';
import type { Store } from '../../src/model/store.ts';
import { createStore } from '../../src/stores/create-store.ts';
import { findStoreByDomain, findStoreByShop, markUninstalled, readSealedAccessToken, saveInstallation } from '../../src/db/repositories/stores.ts';
import { requestSync } from '../../src/db/repositories/catalog-syncs.ts';
import type { BigCommerceApp } from './bigcommerce-connector.ts';
import { StoreInfo } from './schemas.ts';
import type { SignedPayload } from './signed-payload.ts';

export type InstallDeps = { pool: pg.Pool; secrets: SecretBox; app: BigCommerceApp };

export type InstallResult = { store: Store; keys: { publicKey: string; privateKey: string } | null };

/** The store's own domain; the permanent default one if the store settings cannot be read. */
async function storeDomain(app: BigCommerceApp, storeHash: string, token: string): Promise<string> {
  try {
    const info = StoreInfo.parse(await app.api(storeHash, token).call({ method: 'GET', path: '/v2/store' }));
    return info.domain.trim().toLowerCase();
  } catch {
    return `store-${storeHash}.mybigcommerce.com`;
  }
}

export async function installBigCommerceStore(deps: InstallDeps, q: { code: string; scope: string; context: string }): Promise<InstallResult> {
  const grant = await deps.app.exchangeCode(q);
  const sealed = deps.secrets.seal(grant.accessToken);
  let existing = await findStoreByShop(deps.pool, 'bigcommerce', grant.storeHash);
  let keys: InstallResult['keys'] = null;
  if (!existing) {
    const domain = await storeDomain(deps.app, grant.storeHash, grant.accessToken);
    existing = await findStoreByDomain(deps.pool, 'bigcommerce', domain);
    if (!existing) {
      const created = await createStore(deps.pool, deps.secrets, { platform: 'bigcommerce', domain });
      existing = created.store;
      keys = { publicKey: created.publicKey, privateKey: created.privateKey };
    }
  }
  const store = await saveInstallation(deps.pool, existing.id, { accessTokenSealed: sealed, scopes: grant.scopes, externalId: grant.storeHash });
  // Headers are rewritten on every install so a reinstall repairs hooks left from before.
  const api = deps.app.api(grant.storeHash, grant.accessToken);
  await deps.app.ensureHooks(api, { refreshHeaders: true });
  await deps.app.ensureStorefrontScript(api, store.publicKey);
  await requestSync(deps.pool, store.id);
  return { store, keys };
}

export class UnknownStore extends Error {
  override name = 'UnknownStore';
}

/** The installed store a verified callback names; an unknown or removed one is refused. */
export async function storeForCallback(pool: pg.Pool, payload: SignedPayload): Promise<Store> {
  const store = await findStoreByShop(pool, 'bigcommerce', payload.storeHash);
  if (!store) throw new UnknownStore(`No BigCommerce store ${payload.storeHash} is installed.`);
  return store;
}

/**
 * Our storefront script is deleted while we still hold the token. BigCommerce may already have
 * revoked it by the time the uninstall callback arrives, and the script was created with
 * auto_uninstall for that case, so a failure here must not stop the uninstall: null says so.
 */
async function removeScripts(deps: InstallDeps, store: Store): Promise<number | null> {
  const sealed = await readSealedAccessToken(deps.pool, store.id);
  if (!sealed || !store.externalId) return null;
  try {
    return await deps.app.removeStorefrontScripts(deps.app.api(store.externalId, deps.secrets.open(sealed)));
  } catch {
    return null;
  }
}

/** Uninstall: the storefront script removed, the token wiped and the store marked uninstalled, which stops its flows. */
export async function uninstallBigCommerceStore(deps: InstallDeps, payload: SignedPayload): Promise<{ store: Store; scriptsRemoved: number | null }> {
  const store = await storeForCallback(deps.pool, payload);
  const scriptsRemoved = await removeScripts(deps, store);
  await markUninstalled(deps.pool, store.id);
  return { store, scriptsRemoved };
}
