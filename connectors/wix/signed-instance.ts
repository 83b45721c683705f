// The signed app instance Wix appends as ?instance= when its dashboard opens our page in an
// iframe: "<signature>.<data>", data being base64url JSON and signature the base64url
// HMAC-SHA256 of the data part (as sent) with the app secret. Only the signature makes the
// instance id trustworthy, so it is checked, in constant time, before the data is even parsed.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { InstanceId } from './install.ts';

/**
 * Wix signs the instance when the dashboard opens the page, so an older one is a copied link
 * being replayed; a little skew the other way allows for clocks that disagree.
 */
export const MAX_AGE_MS = 10 * 60_000;
const FUTURE_SKEW_MS = 60_000;

const Data = z.object({
  instanceId: InstanceId,
  signDate: z.iso.datetime({ offset: true }),
  /** The signed-in Wix user; absent (with aid set instead) for an anonymous visitor. */
  uid: z.string().min(1).optional(),
  aid: z.string().min(1).optional(),
  permissions: z.string().optional(),
  appDefId: z.string().optional(),
});
export type SignedInstance = { instanceId: string; userId: string; signedAt: Date };

export type SignedInstanceResult = { ok: true; instance: SignedInstance } | { ok: false; reason: string };

const B64URL = /^[A-Za-z0-9_-]+$/;

function decodeJson(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

export function verifySignedInstance(instance: string, app: { appId: string; appSecret: string }, now: Date = new Date()): SignedInstanceResult {
  const parts = instance.split('.');
  if (parts.length !== 2 || !parts.every((p) => B64URL.test(p))) return { ok: false, reason: 'not a signed instance' };
  const [signature, data] = parts as [string, string];
  const expected = createHmac('sha256', app.appSecret).update(data).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad signature' };
  const parsed = Data.safeParse(decodeJson(data));
  if (!parsed.success) return { ok: false, reason: `data: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}` };
  const d = parsed.data;
  if (d.appDefId !== undefined && d.appDefId !== app.appId) return { ok: false, reason: 'issued for another app' };
  const signedAt = new Date(d.signDate);
  const age = now.getTime() - signedAt.getTime();
  if (age > MAX_AGE_MS) return { ok: false, reason: 'expired' };
  if (age < -FUTURE_SKEW_MS) return { ok: false, reason: 'signed in the future' };
  // Wix's security guidance: the dashboard is for the site's owner, never an anonymous visitor.
  if (!d.uid || d.aid) return { ok: false, reason: 'not a signed-in Wix user' };
  if (d.permissions !== 'OWNER') return { ok: false, reason: 'not the site owner' };
  return { ok: true, instance: { instanceId: d.instanceId, userId: d.uid, signedAt } };
}
