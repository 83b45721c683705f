// The session token (id_token) Shopify gives an embedded app: on launch in the app URL's query,
// and from App Bridge on every fetch as "Authorization: Bearer …". jose verifies it with HS256
// pinned and the app secret, requires exp, nbf, iss and dest, checks aud against our API key and
// allows 10 s of clock skew (as Shopify's library does); iss must then name dest's admin, so a
// token for one shop never signs in to another.
import type { Shopify } from '@shopify/shopify-api';
import { errors, jwtVerify } from 'jose';
import { z } from 'zod';

const CLOCK_TOLERANCE_S = 10;

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

function reasonOf(err: unknown): string {
  if (err instanceof errors.JWTClaimValidationFailed && err.claim === 'aud') return 'issued for another app';
  if (err instanceof errors.JWTClaimValidationFailed) return `claims: ${err.claim} ${err.reason}`;
  // Only our own reason leaves this function: jose's messages are safe, but never the token.
  return 'bad signature, or expired';
}

export async function verifySessionToken(api: Shopify, token: string): Promise<SessionTokenResult> {
  if (!SessionTokenShape.safeParse(token).success) return { ok: false, reason: 'not a compact JWT' };
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, new TextEncoder().encode(api.config.apiSecretKey), {
      algorithms: ['HS256'],
      audience: api.config.apiKey,
      requiredClaims: ['exp', 'nbf', 'iss', 'dest'],
      clockTolerance: CLOCK_TOLERANCE_S,
    }));
  } catch (err) {
    if (err instanceof errors.JOSEError) return { ok: false, reason: reasonOf(err) };
    throw err;
  }
  const claims = Claims.safeParse(payload);
  if (!claims.success) return { ok: false, reason: `claims: ${claims.error.issues[0]?.path.join('.')} ${claims.error.issues[0]?.message}` };
  const c = claims.data;
  if (c.iss !== `https://${c.dest}/admin`) return { ok: false, reason: 'issuer and destination name different shops' };
  return { ok: true, shop: c.dest, userId: c.sub, expiresAt: new Date(c.exp * 1000) };
}
