// The session token (id_token) Shopify gives an embedded app: on launch in the app URL's query,
// and from App Bridge on every fetch as "Authorization: Bearer …". The library checks the HS256
// signature with the app secret, exp and nbf (10 s leeway) and that aud is our API key; the shop
// is then read from dest, and iss must name the same shop's admin, or the token is refused.
import { InvalidJwtError, type Shopify } from '@shopify/shopify-api';
import { z } from 'zod';

const ShopOrigin = z
  .string()
  .regex(/^https:\/\/[a-z0-9][a-z0-9-]*\.myshopify\.com$/, 'must be https:// and a myshopify.com shop')
  .transform((origin) => origin.slice('https://'.length));

const Claims = z.object({
  iss: z.string(),
  dest: ShopOrigin,
  aud: z.string(),
  sub: z.string().optional(),
  exp: z.number(),
});

export type SessionTokenResult = { ok: true; shop: string; userId: string | undefined; expiresAt: Date } | { ok: false; reason: string };

/** A compact JWT, shaped before the library sees it so junk never reaches a log line. */
export const SessionTokenShape = z.string().regex(/^[\w-]+\.[\w-]+\.[\w-]+$/, 'must be a compact JWT').max(4096);

export async function verifySessionToken(api: Shopify, token: string): Promise<SessionTokenResult> {
  if (!SessionTokenShape.safeParse(token).success) return { ok: false, reason: 'not a compact JWT' };
  let payload: unknown;
  try {
    payload = await api.session.decodeSessionToken(token);
  } catch (err) {
    // The library's message quotes the whole token; only our own reason leaves this function.
    if (err instanceof InvalidJwtError) return { ok: false, reason: /API key/.test(err.message) ? 'issued for another app' : 'bad signature, or expired' };
    throw err;
  }
  const claims = Claims.safeParse(payload);
  if (!claims.success) return { ok: false, reason: `claims: ${claims.error.issues[0]?.path.join('.')} ${claims.error.issues[0]?.message}` };
  const c = claims.data;
  if (c.iss !== `https://${c.dest}/admin`) return { ok: false, reason: 'issuer and destination name different shops' };
  return { ok: true, shop: c.dest, userId: c.sub, expiresAt: new Date(c.exp * 1000) };
}
