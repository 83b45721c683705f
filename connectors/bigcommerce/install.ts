// What BigCommerce's single-click app callbacks hand to the install use case (src/stores): the
// code exchanged for a token (sealed), the store's domain read only for a store we do not know
// yet, and the follow-ups once the store is saved: hooks and the storefront script, rewritten on
// every install so a reinstall repairs what was left from before. BigCommerce retries callbacks
// and merchants reinstall, so each step is safe to repeat.
import type { SecretBox } from '../../src/security/secret-box.ts';
import type { Grant } from '../../src/model/installation.ts';
import type { Store } from '../../src/model/store.ts';
import type { BigCommerceApp } from './bigcommerce-connector.ts';
import { InstallRefused } from './oauth.ts';
import { StoreInfo } from './payload-schemas.ts';

export type InstallDeps = { secrets: SecretBox; app: BigCommerceApp };

/** The store's own domain; the permanent default one if the store settings cannot be read. */
async function storeDomain(app: BigCommerceApp, storeHash: string, token: string): Promise<string> {
  try {
    const info = StoreInfo.parse(await app.api(storeHash, token).call({ method: 'GET', path: '/v2/store' }));
    return info.domain.trim().toLowerCase();
  } catch {
    return `store-${storeHash}.mybigcommerce.com`;
  }
}

export async function bigcommerceGrant(deps: InstallDeps, q: { code: string; scope: string; context: string }): Promise<Grant> {
  let grant;
  try {
    grant = await deps.app.exchangeCode(q);
  } catch (err) {
    if (err instanceof InstallRefused) return { ok: false, reason: 'refused', detail: err.message };
    throw err;
  }
  const api = deps.app.api(grant.storeHash, grant.accessToken);
  return {
    ok: true,
    installation: {
      platform: 'bigcommerce',
      externalId: grant.storeHash,
      domain: () => storeDomain(deps.app, grant.storeHash, grant.accessToken),
      accessTokenSealed: deps.secrets.seal(grant.accessToken),
      scopes: grant.scopes,
      followUps: [
        async () => {
          await deps.app.ensureHooks(api, { refreshHeaders: true });
          return { ok: true };
        },
        async (store: Store) => {
          await deps.app.ensureStorefrontScript(api, store.publicKey);
          return { ok: true };
        },
      ],
    },
  };
}

/**
 * Our storefront script is deleted while we still hold the token. BigCommerce may already have
 * revoked it by the time the uninstall callback arrives, and the script was created with
 * auto_uninstall for that case, so a failure here must not stop the uninstall: null says so.
 */
export async function removeScripts(app: BigCommerceApp, store: Store, accessToken: string | null): Promise<number | null> {
  if (!accessToken || !store.externalId) return null;
  try {
    return await app.removeStorefrontScripts(app.api(store.externalId, accessToken));
  } catch {
    return null;
  }
}
