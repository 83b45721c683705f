// Replies to the sending number: carrier opt-out and opt-in keywords, and the provider's
// request signature (Twilio's scheme: HMAC-SHA1 over the full URL and the sorted form fields).
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Queryable } from '../db/pool.ts';
import { setSmsConsentByPhone } from '../db/repositories/messaging-consent.ts';
import { Phone } from '../model/profile.ts';

const STOP = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'OPTOUT', 'REVOKE']);
const START = new Set(['START', 'UNSTOP']);

export type Keyword = 'stop' | 'start' | null;

/** Carriers act on a message that is the keyword alone, in any case. */
export function keywordOf(body: string): Keyword {
  const word = body.trim().replace(/[.!]+$/, '').toUpperCase();
  if (STOP.has(word)) return 'stop';
  if (START.has(word)) return 'start';
  return null;
}

export function providerSignature(authToken: string, url: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, k) => acc + k + params[k], url);
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

export function isGenuineSignature(authToken: string, url: string, params: Record<string, string>, given: string | undefined): boolean {
  if (!given) return false;
  const expected = Buffer.from(providerSignature(authToken, url, params));
  const actual = Buffer.from(given);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

export type InboundSms = { from: string; to: string | undefined; body: string };

/**
 * Applies a keyword reply to the stores that own the number it was sent to. Every store sends
 * from the one SMS_FROM, so every store owns that number and no other: a reply to any other
 * number changes nothing. STOP unsubscribes the phone in each owning store. START only undoes
 * an opt-out (unsubscribed → subscribed); it never creates consent where there was none, since
 * a shared number cannot tell which store the sender means.
 */
export async function handleInboundSms(db: Queryable, sms: InboundSms, ownNumber: string | undefined): Promise<{ keyword: Keyword; changed: number; owned: boolean }> {
  const keyword = keywordOf(sms.body);
  const from = Phone.safeParse(sms.from);
  const to = Phone.safeParse(sms.to ?? '');
  const own = Phone.safeParse(ownNumber ?? '');
  const owned = to.success && own.success && to.data === own.data;
  if (!keyword || !from.success || !owned) return { keyword, changed: 0, owned };
  const changed =
    keyword === 'stop'
      ? await setSmsConsentByPhone(db, from.data, 'unsubscribed', ['subscribed', 'never_subscribed'])
      : await setSmsConsentByPhone(db, from.data, 'subscribed', ['unsubscribed']);
  return { keyword, changed, owned };
}
