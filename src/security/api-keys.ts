// Store API keys. The private key is `sk_<keyId>_<secret>`: keyId finds the row, only a
// SHA-256 of the whole key is stored, and the comparison is constant-time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export type IssuedKeys = { publicKey: string; privateKey: string; privateKeyId: string; privateKeyHash: Buffer };

export function issueKeys(): IssuedKeys {
  const privateKeyId = randomBytes(9).toString('base64url');
  const privateKey = `sk_${privateKeyId}_${randomBytes(24).toString('base64url')}`;
  return {
    publicKey: `pk_${randomBytes(12).toString('base64url')}`,
    privateKey,
    privateKeyId,
    privateKeyHash: hashKey(privateKey),
  };
}

export function hashKey(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

/** The key id of a well-formed private key, or undefined. */
export function privateKeyId(key: string): string | undefined {
  const m = /^sk_([A-Za-z0-9_-]{12})_[A-Za-z0-9_-]{32}$/.exec(key);
  return m?.[1];
}

export function keyMatches(key: string, storedHash: Buffer): boolean {
  const h = hashKey(key);
  return h.length === storedHash.length && timingSafeEqual(h, storedHash);
}
