// Install and reinstall of a Wix site, keyed by the app instance id. It arrives two ways: the
// AppInstalled webhook (signed by Wix) and the install callback, where the id counts only as Wix
// names it for the one-time code this browser brought back (oauth.ts); the id in the callback's
// query is public and proves nothing. Either way the store ends up active with a first catalog
// sync queued, and doing it twice changes nothing.
import type pg from 'pg';
import { z } from 'zod';
import type { Store } from '../../src/model/store.ts';
import type { SecretBox } from '../../src/security/secret-box.ts';
import { createStore, StoreExistsError } from '../../src/stores/create-store.ts';
import { findStoreByShop, saveInstallation } from '../../src/db/repositories/stores.ts';
import { requestSync } from '../../src/db/repositories/catalog-syncs.ts';
import type { WixApi } from './wix-api.ts';

/** Wix app instance ids are GUIDs. */
export const InstanceId = z.guid().transform((s) => s.toLowerCase());

export type InstallDeps = { pool: pg.Pool; secrets: SecretBox; api: WixApi };

function isUniqueViolation(err: unknown): boolean {
  return err instanceof StoreExistsError || (err as { code?: string } | null)?.code === '23505';
}

export async function installWixInstance(
  deps: InstallDeps,
  /** An instance id Wix vouched for: from a verified webhook or a code exchange, never a query. */
  rawInstanceId: string,
): Promise<{ store: Store; created: boolean }> {
  const instanceId = InstanceId.parse(rawInstanceId);
  let store = await findStoreByShop(deps.pool, 'wix', instanceId);
  let created = false;
  if (!store) {
    try {
      // The instance id is the site's stable handle, so it doubles as the store's domain.
      store = (await createStore(deps.pool, deps.secrets, { platform: 'wix', domain: instanceId })).store;
      created = true;
    } catch (err) {
      // The webhook and the callback raced; the other one created it.
      if (!isUniqueViolation(err)) throw err;
      store = await findStoreByShop(deps.pool, 'wix', instanceId);
      if (!store) throw err;
    }
  }
  // Wix tokens come from the client-credentials grant on demand: none is stored with the store.
  store = await saveInstallation(deps.pool, store.id, { accessTokenSealed: null, scopes: [], externalId: instanceId });
  await requestSync(deps.pool, store.id);
  return { store, created };
}
