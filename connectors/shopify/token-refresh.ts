// Expiring offline tokens last an hour. They are swapped for fresh ones well before that, so a
// webhook or sync never meets an expired token; Shopify rotates the refresh token each time.
import type { Shopify } from '@shopify/shopify-api';
import type { Logger } from 'pino';
import { listTokensDue } from '../../src/db/repositories/shopify-reads.ts';
import type { JobHost } from '../connector.ts';
import { decodeGrant, encodeGrant, grantFromSession } from './credentials.ts';

/** Refresh this long before expiry: a few runs of the 5-minute job fit in the margin. */
export const REFRESH_MARGIN_MS = 20 * 60_000;

export type RefreshDeps = JobHost & { logger: Logger; api: Shopify };

/** Refreshes every token that expires within the margin; returns how many were replaced. */
export async function refreshExpiringTokens(deps: RefreshDeps, opts: { now?: Date; limit?: number } = {}): Promise<number> {
  const now = opts.now ?? new Date();
  const due = await listTokensDue(deps.pool, new Date(now.getTime() + REFRESH_MARGIN_MS), opts.limit ?? 500);
  let refreshed = 0;
  for (const t of due) {
    try {
      const grant = decodeGrant(deps.secrets.open(t.sealed));
      if (!grant.refreshToken) throw new Error('the grant has no refresh token; the merchant has to open the app again');
      const { session } = await deps.api.auth.refreshToken({ shop: t.domain, refreshToken: grant.refreshToken });
      const next = grantFromSession(session);
      const swapped = await deps.record({
        kind: 'shopify-token-refreshed',
        storeId: t.storeId,
        previousSealed: t.sealed,
        sealed: deps.secrets.seal(encodeGrant(next)),
        expiresAt: next.expiresAt,
        refreshTokenExpiresAt: next.refreshTokenExpiresAt,
      });
      if (swapped) refreshed++;
    } catch (err) {
      deps.logger.warn({ err, storeId: t.storeId, shop: t.domain }, 'shopify token refresh failed');
      await deps.record({ kind: 'shopify-token-refresh-failed', storeId: t.storeId, message: (err as Error).message });
    }
  }
  return refreshed;
}
