// Each store signs its outbound webhooks with its own secret (docs/webhooks.md), generated when
// the store is created, sealed at rest, shown to the merchant and rotatable. After a rotation the
// previous secret signs alongside the new one for ROTATION_OVERLAP_MS, so a receiver can move to
// the new secret without rejecting calls in between.
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { StoreId } from '../model/ids.ts';
import type { SecretBox } from '../security/secret-box.ts';
import { readSigningSecrets, replaceSigningSecret, setSigningSecretIfMissing, type SealedSigningSecrets } from '../db/repositories/store-signing-secrets.ts';

export const ROTATION_OVERLAP_MS = 24 * 3_600_000;

export type SigningSecretView = { secret: string; previousValidUntil: Date | null; rotatedAt: Date | null };

export function generateSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

export async function ensureSigningSecret(pool: pg.Pool, box: SecretBox, storeId: StoreId): Promise<void> {
  await setSigningSecretIfMissing(pool, storeId, box.seal(generateSigningSecret()));
}

/** The stored secrets, making the first one now for a store created before secrets existed. */
async function loadSecrets(pool: pg.Pool, box: SecretBox, storeId: StoreId): Promise<SealedSigningSecrets & { current: string }> {
  let stored = await readSigningSecrets(pool, storeId);
  if (!stored) throw new Error(`no store ${storeId}`);
  if (!stored.current) {
    await ensureSigningSecret(pool, box, storeId);
    stored = (await readSigningSecrets(pool, storeId))!;
  }
  return { ...stored, current: stored.current! };
}

const overlapping = (s: SealedSigningSecrets, now: Date): boolean => Boolean(s.previous && s.previousUntil && s.previousUntil > now);

export async function viewSigningSecret(pool: pg.Pool, box: SecretBox, storeId: StoreId, now = new Date()): Promise<SigningSecretView> {
  const stored = await loadSecrets(pool, box, storeId);
  return { secret: box.open(stored.current), previousValidUntil: overlapping(stored, now) ? stored.previousUntil : null, rotatedAt: stored.rotatedAt };
}

/** The secrets a call is signed with: the current one, then the previous one while it overlaps. */
export async function signingSecretsFor(pool: pg.Pool, box: SecretBox, storeId: StoreId, now = new Date()): Promise<string[]> {
  const stored = await loadSecrets(pool, box, storeId);
  return [box.open(stored.current), ...(overlapping(stored, now) ? [box.open(stored.previous!)] : [])];
}

export async function rotateSigningSecret(pool: pg.Pool, box: SecretBox, storeId: StoreId, now = new Date()): Promise<SigningSecretView> {
  await ensureSigningSecret(pool, box, storeId);
  await replaceSigningSecret(pool, storeId, box.seal(generateSigningSecret()), new Date(now.getTime() + ROTATION_OVERLAP_MS), now);
  return viewSigningSecret(pool, box, storeId, now);
}
