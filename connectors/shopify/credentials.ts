// What we keep of a Shopify grant, sealed as one value in the store's token column: the access
// token and, for expiring offline tokens, the refresh token. Keeping both in one sealed value
// means uninstall's wipe of that column removes every credential at once.
import { z } from 'zod';

const Stored = z.object({
  v: z.literal(1),
  accessToken: z.string().min(1),
  expiresAt: z.iso.datetime().nullable(),
  refreshToken: z.string().min(1).nullable(),
  refreshTokenExpiresAt: z.iso.datetime().nullable(),
});

export type ShopifyGrant = {
  accessToken: string;
  expiresAt: Date | null;
  refreshToken: string | null;
  refreshTokenExpiresAt: Date | null;
};

export function encodeGrant(g: ShopifyGrant): string {
  return JSON.stringify({
    v: 1,
    accessToken: g.accessToken,
    expiresAt: g.expiresAt?.toISOString() ?? null,
    refreshToken: g.refreshToken,
    refreshTokenExpiresAt: g.refreshTokenExpiresAt?.toISOString() ?? null,
  });
}

/** A plain token (stores added by hand with `store add --token`) is a non-expiring grant. */
export function decodeGrant(opened: string): ShopifyGrant {
  if (!opened.startsWith('{')) return { accessToken: opened, expiresAt: null, refreshToken: null, refreshTokenExpiresAt: null };
  const s = Stored.parse(JSON.parse(opened));
  return {
    accessToken: s.accessToken,
    expiresAt: s.expiresAt ? new Date(s.expiresAt) : null,
    refreshToken: s.refreshToken,
    refreshTokenExpiresAt: s.refreshTokenExpiresAt ? new Date(s.refreshTokenExpiresAt) : null,
  };
}

/** The grant carried by a library Session after OAuth or a refresh. */
export function grantFromSession(s: { accessToken?: string | undefined; expires?: Date | undefined; refreshToken?: string | undefined; refreshTokenExpires?: Date | undefined }): ShopifyGrant {
  if (!s.accessToken) throw new Error('Shopify returned no access token');
  return {
    accessToken: s.accessToken,
    expiresAt: s.expires ?? null,
    refreshToken: s.refreshToken ?? null,
    refreshTokenExpiresAt: s.refreshTokenExpires ?? null,
  };
}
