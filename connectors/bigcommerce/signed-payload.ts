// The signed_payload_jwt BigCommerce adds to the load, uninstall and remove-user callbacks:
// HS256 with our client secret, iss "bc", aud our client id, sub "stores/{hash}". jose verifies
// it with the algorithm pinned (so "none", or an asymmetric alg keyed with our secret, never
// passes) and exp, iat and sub required; only then are the claims read.
import { errors, jwtVerify } from 'jose';
import { z } from 'zod';
import { StoreContext, hashOfContext } from './payload-schemas.ts';

/** Clock skew tolerated between BigCommerce and us. */
const LEEWAY_S = 60;
/**
 * A load is the merchant opening the app this moment, so a payload older than this is a copied
 * link being replayed (BigCommerce's own exp is a day away).
 */
export const SIGN_IN_MAX_AGE_S = 10 * 60;

const Claims = z.object({
  aud: z.union([z.string(), z.array(z.string())]),
  iss: z.literal('bc'),
  iat: z.number(),
  nbf: z.number().optional(),
  exp: z.number(),
  jti: z.string().optional(),
  sub: StoreContext,
  user: z.object({ id: z.number(), email: z.string() }),
  owner: z.object({ id: z.number(), email: z.string() }).optional(),
  url: z.string().optional(),
  channel_id: z.number().nullish(),
});
export type SignedPayload = z.infer<typeof Claims> & { storeHash: string; expiresAt: Date };

export type SignedPayloadResult = { ok: true; payload: SignedPayload } | { ok: false; reason: string };

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

function reasonOf(err: unknown): string {
  // jose reports a token past maxTokenAge as expired too, naming iat rather than exp.
  if (err instanceof errors.JWTExpired) return err.claim === 'iat' ? 'too old for a sign-in' : 'expired';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'bad signature';
  if (err instanceof errors.JOSEAlgNotAllowed) return 'the token is not HS256';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return 'issued for another app';
    return `claims: ${err.claim} ${err.reason}`;
  }
  return 'not a valid JWT';
}

export async function verifySignedPayload(
  jwt: string,
  app: { clientId: string; clientSecret: string },
  opts: { now?: Date; signIn?: boolean } = {},
): Promise<SignedPayloadResult> {
  if (!COMPACT_JWS.test(jwt)) return { ok: false, reason: 'not a compact JWT' };
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(jwt, new TextEncoder().encode(app.clientSecret), {
      algorithms: ['HS256'],
      issuer: 'bc',
      audience: app.clientId,
      requiredClaims: ['exp', 'iat', 'sub'],
      clockTolerance: LEEWAY_S,
      ...(opts.signIn ? { maxTokenAge: SIGN_IN_MAX_AGE_S } : {}),
      ...(opts.now ? { currentDate: opts.now } : {}),
    }));
  } catch (err) {
    return { ok: false, reason: reasonOf(err) };
  }
  const claims = Claims.safeParse(payload);
  if (!claims.success) return { ok: false, reason: `claims: ${claims.error.issues[0]?.path.join('.')} ${claims.error.issues[0]?.message}` };
  const c = claims.data;
  return { ok: true, payload: { ...c, storeHash: hashOfContext(c.sub), expiresAt: new Date(c.exp * 1000) } };
}
