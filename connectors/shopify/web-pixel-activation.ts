// Switching the storefront web pixel on belongs to an install but is never a reason to fail one:
// a refusal is logged and recorded (the onboarding checklist shows it) and the worker tries again
// with backoff. The worker also re-sends the settings when the store's public key or our address
// changed, since the pixel would otherwise post to the old ones.
import type { Shopify } from '@shopify/shopify-api';
import type { Logger } from 'pino';
import type { StoreId } from '../../src/model/ids.ts';
import type { PlatformRecord } from '../../src/model/installation.ts';
import { listPixelsDue } from '../../src/db/repositories/shopify-reads.ts';
import type { JobHost } from '../connector.ts';
import { createAdminGraphql, type ThrottleOptions } from './api-client.ts';
import { decodeGrant } from './credentials.ts';
import { activateWebPixel, type PixelSettings } from './web-pixel-api.ts';

export type PixelDeps = { api: Shopify; logger?: Pick<Logger, 'warn'> | undefined };

/**
 * Where the pixel posts: the address Shopify already knows us by (OAuth redirects and webhook
 * callbacks are built from the same host), so a shop never sees two addresses for the app.
 */
export function pixelSettings(api: Shopify, publicKey: string): PixelSettings {
  return { appUrl: `${api.config.hostScheme}://${api.config.hostName}`, publicKey };
}

/** One shop's activation: what to record of it, activated with the current settings or failed. */
export async function activateStorePixel(
  deps: PixelDeps,
  store: { id: StoreId; domain: string; publicKey: string },
  accessToken: string,
  throttle: ThrottleOptions = {},
): Promise<Extract<PlatformRecord, { kind: 'shopify-pixel-activated' | 'shopify-pixel-failed' }>> {
  const settings = pixelSettings(deps.api, store.publicKey);
  try {
    const pixel = await activateWebPixel(createAdminGraphql(deps.api, store.domain, accessToken, throttle), settings);
    return { kind: 'shopify-pixel-activated', storeId: store.id, webPixelId: pixel.id, ...settings };
  } catch (err) {
    const message = (err as Error).message;
    if (deps.logger) deps.logger.warn({ err, storeId: store.id, shop: store.domain }, 'shopify web pixel not activated');
    else await deps.api.logger.warning(`web pixel not activated: ${message}`, { shop: store.domain });
    return { kind: 'shopify-pixel-failed', storeId: store.id, message };
  }
}

/** The worker's pass over every shop whose pixel is due; returns how many are now on. */
export async function retryPixelActivations(
  deps: PixelDeps & JobHost,
  opts: { now?: Date; limit?: number; throttle?: ThrottleOptions } = {},
): Promise<number> {
  const { appUrl } = pixelSettings(deps.api, '');
  const due = await listPixelsDue(deps.pool, appUrl, opts.now ?? new Date(), opts.limit ?? 100);
  let activated = 0;
  for (const d of due) {
    let accessToken: string;
    try {
      accessToken = decodeGrant(deps.secrets.open(d.sealed)).accessToken;
    } catch (err) {
      await deps.record({ kind: 'shopify-pixel-failed', storeId: d.storeId, message: `the stored grant could not be read: ${(err as Error).message}` });
      continue;
    }
    // A shop throttling us is tried again on the next pass rather than holding the others up.
    const outcome = await activateStorePixel(deps, { id: d.storeId, domain: d.domain, publicKey: d.publicKey }, accessToken, opts.throttle ?? { maxWaitMs: 30_000 });
    await deps.record(outcome);
    if (outcome.kind === 'shopify-pixel-activated') activated++;
  }
  return activated;
}
