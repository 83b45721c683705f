// Signed links in messages: unsubscribe (/u), open pixel (/o), click redirect (/c). A token is
// the payload and a truncated HMAC-SHA256 over it, base64url; nothing is stored per link, and a
// token cannot be altered (a different profile, a different redirect target) without the key.
// The first payload byte names the kind, so a token of one kind never passes as another.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { MessageId, ProfileId, StoreId } from '../model/ids.ts';
import type { SecretBox } from '../security/secret-box.ts';

const MAC_BYTES = 16;
const KIND = { unsubscribe: 0x75, open: 0x6f, click: 0x63 } as const;
const CHANNEL = { email: 0x65, sms: 0x73 } as const;
const MAX_URL = 4000;

/** The key every link is signed with, derived from the runtime's encryption key. */
export function messageLinkKey(secrets: Pick<SecretBox, 'deriveKey'>): Buffer {
  return secrets.deriveKey('message-links:v1');
}

const uuidBytes = (id: string): Buffer => Buffer.from(id.replace(/-/g, ''), 'hex');

function uuidString(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const mac = (key: Buffer, payload: Buffer): Buffer => createHmac('sha256', key).update(payload).digest().subarray(0, MAC_BYTES);

function sign(key: Buffer, payload: Buffer): string {
  return Buffer.concat([payload, mac(key, payload)]).toString('base64url');
}

/** The payload of a genuine token of this kind, or null. */
function open(key: Buffer, token: string, kind: number): Buffer | null {
  if (!/^[A-Za-z0-9_-]{1,8000}$/.test(token)) return null;
  const raw = Buffer.from(token, 'base64url');
  if (raw.length < 1 + 32 + 1 + MAC_BYTES) return null;
  const payload = raw.subarray(0, raw.length - MAC_BYTES);
  const given = raw.subarray(raw.length - MAC_BYTES);
  if (!timingSafeEqual(given, mac(key, payload))) return null;
  return payload[0] === kind ? payload : null;
}

function ids(payload: Buffer): { storeId: StoreId; second: string } {
  return { storeId: uuidString(payload.subarray(1, 17)) as StoreId, second: uuidString(payload.subarray(17, 33)) };
}

export function unsubscribeToken(key: Buffer, storeId: StoreId, profileId: ProfileId, channel: 'email' | 'sms'): string {
  return sign(key, Buffer.concat([Buffer.from([KIND.unsubscribe]), uuidBytes(storeId), uuidBytes(profileId), Buffer.from([CHANNEL[channel]])]));
}

export function unsubscribeUrl(appUrl: string, key: Buffer, storeId: StoreId, profileId: ProfileId, channel: 'email' | 'sms'): string {
  return `${appUrl}/u/${unsubscribeToken(key, storeId, profileId, channel)}`;
}

export function readUnsubscribeToken(key: Buffer, token: string): { storeId: StoreId; profileId: ProfileId; channel: 'email' | 'sms' } | null {
  const p = open(key, token, KIND.unsubscribe);
  if (!p || p.length !== 34) return null;
  const channel = p[33] === CHANNEL.email ? 'email' : p[33] === CHANNEL.sms ? 'sms' : null;
  if (!channel) return null;
  const { storeId, second } = ids(p);
  return { storeId, profileId: second as ProfileId, channel };
}

export function openUrl(appUrl: string, key: Buffer, storeId: StoreId, messageId: MessageId): string {
  const token = sign(key, Buffer.concat([Buffer.from([KIND.open]), uuidBytes(storeId), uuidBytes(messageId), Buffer.from([0])]));
  return `${appUrl}/o/${token}`;
}

export function readOpenToken(key: Buffer, token: string): { storeId: StoreId; messageId: MessageId } | null {
  const p = open(key, token, KIND.open);
  if (!p || p.length !== 34) return null;
  const { storeId, second } = ids(p);
  return { storeId, messageId: second as MessageId };
}

/** Only absolute http(s) targets are ever redirected to. */
export function isRedirectable(url: string): boolean {
  if (url.length > MAX_URL) return false;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

export function clickUrl(appUrl: string, key: Buffer, storeId: StoreId, messageId: MessageId, target: string): string {
  if (!isRedirectable(target)) throw new Error('only http(s) links can be tracked');
  const token = sign(key, Buffer.concat([Buffer.from([KIND.click]), uuidBytes(storeId), uuidBytes(messageId), Buffer.from(target, 'utf8')]));
  return `${appUrl}/c/${token}`;
}

export function readClickToken(key: Buffer, token: string): { storeId: StoreId; messageId: MessageId; url: string } | null {
  const p = open(key, token, KIND.click);
  if (!p || p.length < 34) return null;
  const url = p.subarray(33).toString('utf8');
  // Signed by us, but checked again: a key leak must not turn this into an open redirect to javascript: URLs.
  if (!isRedirectable(url)) return null;
  const { storeId, second } = ids(p);
  return { storeId, messageId: second as MessageId, url };
}
