// Installs a store the way the platform's verified install does, for tests that need one in place.
import assert from 'node:assert/strict';
import { wixInstallation } from '../../connectors/wix/install.ts';
import type { Store } from '../../src/model/store.ts';
import type { SecretBox } from '../../src/security/secret-box.ts';
import { installStore } from '../../src/stores/install-store.ts';
import type pg from 'pg';

/** The Wix site of this instance id, installed as a verified AppInstalled would. */
export async function installWixSite(deps: { pool: pg.Pool; secrets: SecretBox }, instanceId: string): Promise<Store> {
  const outcome = await installStore(deps, { ok: true, installation: wixInstallation(instanceId) });
  assert.equal(outcome.status, 'installed');
  return (outcome as { store: Store }).store;
}
