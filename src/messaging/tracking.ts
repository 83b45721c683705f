// What the signed links do when followed. Each returns null for a token that is not genuine,
// so the routes answer 400 and never act on (or redirect to) anything they did not sign.
import type { Queryable } from '../db/pool.ts';
import { recordClick, recordOpen } from '../db/repositories/messages.ts';
import { getConsent, setConsent } from '../db/repositories/messaging-consent.ts';
import type { ConsentState } from '../model/profile.ts';
import { readClickToken, readOpenToken, readUnsubscribeToken } from './links.ts';

export async function trackOpen(db: Queryable, key: Buffer, token: string, now: Date): Promise<boolean> {
  const t = readOpenToken(key, token);
  if (!t) return false;
  await recordOpen(db, t.storeId, t.messageId, now);
  return true;
}

/** The original link to redirect to, after recording the click. */
export async function trackClick(db: Queryable, key: Buffer, token: string, now: Date): Promise<string | null> {
  const t = readClickToken(key, token);
  if (!t) return null;
  await recordClick(db, t.storeId, t.messageId, now);
  return t.url;
}

export type UnsubscribeTarget = { channel: 'email' | 'sms'; consent: ConsentState | null };

/** Reads the link without changing anything (the confirmation page; mail scanners follow GETs). */
export async function lookUpUnsubscribe(db: Queryable, key: Buffer, token: string): Promise<UnsubscribeTarget | null> {
  const t = readUnsubscribeToken(key, token);
  if (!t) return null;
  const consent = await getConsent(db, t.storeId, t.profileId);
  return { channel: t.channel, consent: consent ? consent[t.channel] : null };
}

/** Idempotent: a second click finds the profile already unsubscribed. */
export async function unsubscribe(db: Queryable, key: Buffer, token: string): Promise<UnsubscribeTarget | null> {
  const t = readUnsubscribeToken(key, token);
  if (!t) return null;
  const found = await setConsent(db, t.storeId, t.profileId, t.channel, 'unsubscribed');
  return { channel: t.channel, consent: found ? 'unsubscribed' : null };
}
