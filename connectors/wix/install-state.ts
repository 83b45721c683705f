// The `state` carried through Wix's installer: a nonce bound to the browser by a cookie and
// signed with the app secret, so a callback can only finish an install this app started in
// that browser, within ten minutes.
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

export function checkState(secret: string, state: string, cookieNonce: string | undefined, now = Date.now()): boolean {
  const [nonce, exp, mac] = state.split('.');
  if (!nonce || !exp || !mac || !cookieNonce) return false;
  const expected = Buffer.from(sign(secret, `${nonce}.${exp}`));
  const given = Buffer.from(mac);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return false;
  const nonceOk = Buffer.from(nonce).length === Buffer.from(cookieNonce).length && timingSafeEqual(Buffer.from(nonce), Buffer.from(cookieNonce));
  return nonceOk && Number(exp) > now;
}
