// The `state` carried through Wix's installer: a nonce bound to the browser by a cookie and
// signed with the app secret, so a callback can only finish an install this app started in
// that browser, within ten minutes. The callback also spends it (Postgres), so it works once.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const STATE_TTL_MS = 10 * 60_000;

function sign(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('base64url');
}

export function issueState(secret: string, now = Date.now()): { state: string; nonce: string } {
  const nonce = randomBytes(18).toString('base64url');
  const body = `${nonce}.${now + STATE_TTL_MS}`;
  return { state: `${body}.${sign(secret, body)}`, nonce };
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The state's expiry when it is ours, unexpired and issued to the browser holding `cookieNonce`. */
export function checkState(secret: string, state: string, cookieNonce: string | undefined, now = Date.now()): Date | undefined {
  const [nonce, exp, mac, ...rest] = state.split('.');
  if (!nonce || !exp || !mac || rest.length || !cookieNonce) return undefined;
  if (!same(sign(secret, `${nonce}.${exp}`), mac) || !same(nonce, cookieNonce)) return undefined;
  return Number(exp) > now ? new Date(Number(exp)) : undefined;
}
