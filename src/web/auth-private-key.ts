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
    const key = match[1]!;
    const keyId = privateKeyId(key);
    const found = keyId ? await findStoreByPrivateKeyId(pool, keyId) : undefined;
    if (!found || !keyMatches(key, found.privateKeyHash)) {
      return sendProblem(res, 401, 'The private key is not valid. Copy it again from the store settings.', { slug: 'invalid-key' });
    }
    if (found.store.status !== 'active') return sendProblem(res, 403, 'This store is uninstalled.', { slug: 'store-inactive' });
    res.removeHeader('WWW-Authenticate');
    (res.locals as AuthedLocals).store = found.store;
    next();
  };
}
