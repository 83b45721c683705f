import type { RequestHandler } from 'express';
import type pg from 'pg';
import { keyMatches, privateKeyId } from '../security/api-keys.ts';
import { findStoreByPrivateKeyId } from '../db/repositories/stores.ts';
import type { Store } from '../model/store.ts';
import { sendProblem } from './problem.ts';

export type AuthedLocals = { store: Store };

/** `Authorization: Bearer sk_…` → res.locals.store. The key's hash is compared in constant time. */
export function requirePrivateKey(pool: pg.Pool): RequestHandler {
  return async (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    res.setHeader('WWW-Authenticate', 'Bearer realm="storeflow"');
    if (!match) return sendProblem(res, 401, 'Send the store private key as "Authorization: Bearer sk_…".', { slug: 'missing-key' });
    const verified = await verifyPrivateKey(pool, match[1]!);
    if (verified === 'invalid') {
      return sendProblem(res, 401, 'The private key is not valid. Copy it again from the store settings.', { slug: 'invalid-key' });
    }
    if (verified === 'inactive') return sendProblem(res, 403, 'This store is uninstalled.', { slug: 'store-inactive' });
    const store = verified.store;
    res.removeHeader('WWW-Authenticate');
    (res.locals as AuthedLocals).store = store;
    next();
  };
}

/** The active store a private key belongs to; its hash is compared in constant time. */
export async function verifyPrivateKey(pool: pg.Pool, key: string): Promise<{ store: Store } | 'invalid' | 'inactive'> {
  const keyId = privateKeyId(key);
  const found = keyId ? await findStoreByPrivateKeyId(pool, keyId) : undefined;
  if (!found || !keyMatches(key, found.privateKeyHash)) return 'invalid';
  if (found.store.status !== 'active') return 'inactive';
  return { store: found.store };
}
