// What a finished OAuth grant hands to the install use case (src/stores/install-store.ts): the
// grant sealed, its expiry to record, Shopify told where to send webhooks, and, once the first
// catalog pull is queued, the storefront web pixel switched on. Every step is safe to repeat, so a
// merchant who reinstalls (or reloads the callback) ends in the same state.
import { BotActivityDetected, CookieNotFound, HttpResponseError, InvalidHmacError, InvalidOAuthError, type Session, type Shopify } from '@shopify/shopify-api';
import type { Logger } from 'pino';
import type { SecretBox } from '../../src/security/secret-box.ts';
import type { FollowUpOutcome, Grant, Installation } from '../../src/model/installation.ts';
import { encodeGrant, grantFromSession } from './credentials.ts';
import { activateStorePixel } from './web-pixel-activation.ts';

export type InstallDeps = { secrets: SecretBox; api: Shopify; logger?: Pick<Logger, 'warn'> };

/** The library's checks of the callback (signed query, state cookie, bot screen) that refuse it. */
const REFUSALS = [CookieNotFound, InvalidOAuthError, InvalidHmacError, BotActivityDetected];

/** The OAuth callback checked and its code exchanged for an expiring offline token. */
export async function shopifyGrant(deps: InstallDeps, callback: { rawRequest: unknown; rawResponse: unknown }): Promise<Grant> {
  let session: Session;
  try {
    ({ session } = await deps.api.auth.callback({ ...callback, expiring: true }));
  } catch (err) {
    if (REFUSALS.some((E) => err instanceof E)) return { ok: false, reason: 'refused', detail: (err as Error).name };
    if (err instanceof HttpResponseError) return { ok: false, reason: 'unavailable', detail: `Shopify answered ${err.response.code}` };
    throw err;
  }
  return { ok: true, installation: shopifyInstallation(deps, session) };
}

async function registerWebhooks(api: Shopify, session: Session): Promise<FollowUpOutcome> {
  try {
    const results = await api.webhooks.register({ session });
    const failed = Object.entries(results).filter(([, rs]) => rs.some((r) => !r.success));
    if (failed.length) return { ok: false, detail: `Shopify refused the webhook subscriptions for ${failed.map(([t]) => t).join(', ')}` };
    return { ok: true };
  } catch (err) {
    if (err instanceof HttpResponseError) return { ok: false, detail: `Shopify answered ${err.response.code} to the webhook subscriptions` };
    throw err;
  }
}

export function shopifyInstallation(deps: InstallDeps, session: Session): Installation {
  const grant = grantFromSession(session);
  return {
    platform: 'shopify',
    externalId: null,
    domain: session.shop,
    accessTokenSealed: deps.secrets.seal(encodeGrant(grant)),
    scopes: (session.scope ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    followUps: [
      async (store) => ({
        ok: true,
        records: [{ kind: 'shopify-token-expiry', storeId: store.id, expiresAt: grant.expiresAt, refreshTokenExpiresAt: grant.refreshTokenExpiresAt }],
      }),
      () => registerWebhooks(deps.api, session),
    ],
    // Never failing the install: a refusal is recorded and the worker retries it. The merchant is
    // waiting on this redirect, so a throttled shop is left to the worker as well.
    afterSync: [async (store) => ({ ok: true, records: [await activateStorePixel(deps, store, grant.accessToken, { maxWaitMs: 5_000 })] })],
  };
}
