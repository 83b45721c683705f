// Install and reinstall of a Wix site, keyed by the app instance id. It arrives two ways: the
// AppInstalled webhook (signed by Wix) and the install callback, where the id counts only as Wix
// names it for the one-time code this browser brought back (oauth.ts); the id in the callback's
// query is public and proves nothing. Either way the install use case (src/stores) makes the store
// active with a first catalog sync queued, and doing it twice changes nothing.
import type { Grant, Installation } from '../../src/model/installation.ts';
import { InstanceId } from './instance-id.ts';
import { instanceForInstallCode, WixInstanceRefused } from './oauth.ts';

export { InstanceId };

/** An instance id Wix vouched for: from a verified webhook or a code exchange, never a query. */
export function wixInstallation(rawInstanceId: string): Installation {
  const instanceId = InstanceId.parse(rawInstanceId);
  return {
    platform: 'wix',
    externalId: instanceId,
    // The instance id is the site's stable handle, so it doubles as the store's domain.
    domain: instanceId,
    // Wix tokens come from the client-credentials grant on demand: none is stored with the store.
    accessTokenSealed: null,
    scopes: [],
    followUps: [],
  };
}

/** The install callback's code spent at Wix, for the instance Wix names. */
export async function wixGrant(app: { appId: string; appSecret: string }, callback: { code: string; instanceId: string; state: string }): Promise<Grant> {
  try {
    return { ok: true, installation: wixInstallation(await instanceForInstallCode(app, callback)) };
  } catch (err) {
    if (err instanceof WixInstanceRefused) return { ok: false, reason: 'refused', detail: err.message };
    throw err;
  }
}
