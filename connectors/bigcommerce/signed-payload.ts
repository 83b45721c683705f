// The signed_payload_jwt BigCommerce adds to the load, uninstall and remove-user callbacks:
// HS256 with our client secret. The algorithm is pinned before the signature is checked so a
// token declaring "none" (or an asymmetric alg keyed with our secret) can never pass.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { StoreContext, hashOfContext } from './schemas.ts';

/** Clock skew tolerated on nbf/iat between BigCommerce and us. */
const LEEWAY_S = 60;

const Header = z.object({ alg: z.literal('HS256'), typ: z.string().optional() });

const Claims = z.object({
  aud: z.union([z.string(), z.array(z.string())]),
  iss: z.literal('bc'),
  iat: z.number().optional(),
  nbf: z.number().optional(),
  exp: z.number(),
  sub: StoreContext,
  user: z.object({ id: z.number(), email: z.string() }),
  owner: z.object({ id: z.number(), email: z.string() }).optional(),
  url: z.string().optional(),
  channel_id: z.number().nullish(),
});
export type SignedPayload = z.infer<typeof Claims> & { storeHash: string };

export type SignedPayloadResult = { ok: true; payload: SignedPayload } | { ok: false; reason: string };

function decodeJson(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

export function verifySignedPayload(
  jwt: string,
  app: { clientId: string; clientSecret: string },
  now: Date = new Date(),
): SignedPayloadResult {
  const parts = jwt.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) return { ok: false, reason: 'not a compact JWT' };
  const [h, p, s] = parts as [string, string, string];
  const header = Header.safeParse(decodeJson(h));
  if (!header.success) return { ok: false, reason: 'the token is not HS256' };
  const expected = createHmac('sha256', app.clientSecret).update(`${h}.${p}`).digest();
  const given = Buffer.from(s, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad signature' };
  const claims = Claims.safeParse(decodeJson(p));
  if (!claims.success) return { ok: false, reason: `claims: ${claims.error.issues[0]?.path.join('.')} ${claims.error.issues[0]?.message}` };
  const c = claims.data;
  const audiences = Array.isArray(c.aud) ? c.aud : [c.aud];
  if (!audiences.includes(app.clientId)) return { ok: false, reason: 'issued for another app' };
  const t = now.getTime() / 1000;
  if (c.exp <= t) return { ok: false, reason: 'expired' };
  if (c.nbf !== undefined && c.nbf > t + LEEWAY_S) return { ok: false, reason: 'not valid yet' };
  return { ok: true, payload: { ...c, storeHash: hashOfContext(c.sub) } };
}
