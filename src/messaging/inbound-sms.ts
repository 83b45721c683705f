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

/** Applies a keyword reply; returns what it did and how many profiles changed. */
export async function handleInboundSms(db: Queryable, from: string, body: string): Promise<{ keyword: Keyword; changed: number }> {
  const keyword = keywordOf(body);
  const phone = Phone.safeParse(from);
  if (!keyword || !phone.success) return { keyword, changed: 0 };
  const changed = await setSmsConsentByPhone(db, phone.data, keyword === 'stop' ? 'unsubscribed' : 'subscribed');
  return { keyword, changed };
}
