// Install and reinstall of a platform store, the same for every platform: the connector turns the
// platform's grant into an Installation (values only), and this finds or creates the store,
// saves the grant, runs the platform's follow-ups, and queues the first catalog sync. Every step
// is safe to repeat: platforms retry callbacks, merchants reinstall, and two callbacks for one
// shop may arrive together.
import type pg from 'pg';
import type { SecretBox } from '../security/secret-box.ts';
import type { Grant, Installation } from '../model/installation.ts';
import type { Store } from '../model/store.ts';
import { findStoreByDomain, findStoreByShop, saveInstallation } from '../db/repositories/stores.ts';
import { requestSync } from '../db/repositories/catalog-syncs.ts';
import { createStore, StoreExistsError } from './create-store.ts';
import { savePlatformRecords } from './platform-records.ts';

export type StoreDeps = { pool: pg.Pool; secrets: SecretBox };

export type StoreKeys = { publicKey: string; privateKey: string };

export type InstallOutcome =
  /** `keys` only for the call that created the store: the private key is shown once. */
  | { status: 'installed'; store: Store; created: boolean; keys: StoreKeys | null }
  /** The platform refused the grant: nothing was saved. */
  | { status: 'refused'; detail: string }
  /** The platform did not answer the exchange: nothing was saved. */
  | { status: 'unavailable'; detail: string }
  /** Saved, but the platform refused a follow-up: no first sync until the merchant opens the app again. */
  | { status: 'unfinished'; store: Store; detail: string };

function isUniqueViolation(err: unknown): boolean {
  return err instanceof StoreExistsError || (err as { code?: string } | null)?.code === '23505';
}

async function findOrCreate(deps: StoreDeps, i: Installation): Promise<{ store: Store; keys: StoreKeys | null }> {
  const byId = i.externalId ? await findStoreByShop(deps.pool, i.platform, i.externalId) : undefined;
  if (byId) return { store: byId, keys: null };
  const domain = (typeof i.domain === 'string' ? i.domain : await i.domain()).trim().toLowerCase();
  const byDomain = await findStoreByDomain(deps.pool, i.platform, domain);
  if (byDomain) return { store: byDomain, keys: null };
  try {
    const created = await createStore(deps.pool, deps.secrets, { platform: i.platform, domain });
    return { store: created.store, keys: { publicKey: created.publicKey, privateKey: created.privateKey } };
  } catch (err) {
    // Two callbacks for one shop at once: the other one created it.
    if (!isUniqueViolation(err)) throw err;
    const raced = await findStoreByDomain(deps.pool, i.platform, domain);
    if (!raced) throw err;
    return { store: raced, keys: null };
  }
}

/** The one install path: `grant` is the connector's verdict on the platform's callback. */
export async function installStore(deps: StoreDeps, grant: Grant | Promise<Grant>): Promise<InstallOutcome> {
  const g = await grant;
  if (!g.ok) return { status: g.reason, detail: g.detail };
  const i = g.installation;
  const found = await findOrCreate(deps, i);
  const store = await saveInstallation(deps.pool, found.store.id, { accessTokenSealed: i.accessTokenSealed, scopes: i.scopes, externalId: i.externalId });
  for (const followUp of i.followUps) {
    const outcome = await followUp(store);
    if (!outcome.ok) return { status: 'unfinished', store, detail: outcome.detail };
    await savePlatformRecords(deps.pool, outcome.records);
  }
  await requestSync(deps.pool, store.id);
  for (const followUp of i.afterSync ?? []) {
    const outcome = await followUp(store);
    if (outcome.ok) await savePlatformRecords(deps.pool, outcome.records);
  }
  return { status: 'installed', store, created: found.keys !== null, keys: found.keys };
}
