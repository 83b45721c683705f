// Uninstall from a platform's signed callback: the connector's clean-up runs while we still hold
// the token, then the token is wiped and the store marked uninstalled, which stops its flows.
// (Platforms that say it by webhook go through ingest, which marks the store the same way.)
import type { Platform, Store } from '../model/store.ts';
import { markUninstalled, readSealedAccessToken } from '../db/repositories/stores.ts';
import type { StoreDeps } from './install-store.ts';
import { storeForShop } from './store-lookup.ts';

export type UninstallOutcome<T> = { status: 'uninstalled'; store: Store; cleanup: T } | { status: 'unknown-store' };

export async function uninstallStore<T>(
  deps: StoreDeps,
  platform: Platform,
  shop: string,
  /** Given the store's opened token (null when there is none or it cannot be opened). */
  cleanup: (store: Store, accessToken: string | null) => Promise<T>,
): Promise<UninstallOutcome<T>> {
  const store = await storeForShop(deps, platform, shop);
  if (!store) return { status: 'unknown-store' };
  const sealed = await readSealedAccessToken(deps.pool, store.id);
  let accessToken: string | null = null;
  try {
    accessToken = sealed ? deps.secrets.open(sealed) : null;
  } catch {
    // A token we cannot open is no use to the clean-up; the uninstall goes on without it.
  }
  const done = await cleanup(store, accessToken);
  await markUninstalled(deps.pool, store.id);
  return { status: 'uninstalled', store, cleanup: done };
}
