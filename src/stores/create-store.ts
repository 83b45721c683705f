import type pg from 'pg';
import { issueKeys } from '../security/api-keys.ts';
import type { SecretBox } from '../security/secret-box.ts';
import { findStoreByDomain, insertStore, rotateStoreKeys } from '../db/repositories/stores.ts';
import type { Platform, Store } from '../model/store.ts';
import { ensureSigningSecret } from './signing-secret.ts';

export type CreatedStore = { store: Store; publicKey: string; privateKey: string };

export class StoreExistsError extends Error {
  override name = 'StoreExistsError';
}

/** Registers a store and issues its API keys; the private key is shown once and kept only as a hash. */
export async function createStore(
  pool: pg.Pool,
  secrets: SecretBox,
  input: { platform: Platform; domain: string; accessToken?: string; scopes?: string[] },
): Promise<CreatedStore> {
  const domain = input.domain.trim().toLowerCase();
  if (await findStoreByDomain(pool, input.platform, domain)) {
    throw new StoreExistsError(`a ${input.platform} store with domain ${domain} already exists`);
  }
  const keys = issueKeys();
  const store = await insertStore(pool, {
    platform: input.platform,
    domain,
    accessTokenSealed: input.accessToken ? secrets.seal(input.accessToken) : null,
    scopes: input.scopes ?? [],
    publicKey: keys.publicKey,
    privateKeyId: keys.privateKeyId,
    privateKeyHash: keys.privateKeyHash,
  });
  await ensureSigningSecret(pool, secrets, store.id);
  return { store, publicKey: keys.publicKey, privateKey: keys.privateKey };
}

/** Replaces a store's keys; the old private key stops working at once. */
export async function rotateKeys(pool: pg.Pool, store: Store): Promise<CreatedStore> {
  const keys = issueKeys();
  const updated = await rotateStoreKeys(pool, store.id, keys);
  return { store: updated, publicKey: keys.publicKey, privateKey: keys.privateKey };
}
