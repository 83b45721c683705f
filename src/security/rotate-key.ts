// Re-seals every stored secret under a new ENCRYPTION_KEY in one transaction: either every value
// opens under the new key afterwards or, if any fails to open under the current one, none changed.
import { rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type pg from 'pg';
import { withTransaction } from '../db/pool.ts';
import { lockSealedSecrets, replaceSealedSecret } from '../db/repositories/sealed-secrets.ts';
import type { SecretBox } from './secret-box.ts';

export class RotationError extends Error {
  override name = 'RotationError';
}

export type Resealed = { accessTokens: number; signingSecrets: number };

export async function resealSecrets(pool: pg.Pool, current: SecretBox, next: SecretBox): Promise<Resealed> {
  return withTransaction(pool, async (client) => {
    const rows = await lockSealedSecrets(client);
    for (const row of rows) {
      let plain: string;
      try {
        plain = current.open(row.sealed);
      } catch {
        // Nothing is written: a half-rotated database would need both keys to read.
        const what = row.column === 'access_token_enc' ? 'access token' : 'webhook signing secret';
        throw new RotationError(`the ${what} of store ${row.storeId} does not open with the current key; nothing was changed`);
      }
      await replaceSealedSecret(client, row, next.seal(plain));
    }
    const accessTokens = rows.filter((r) => r.column === 'access_token_enc').length;
    return { accessTokens, signingSecrets: rows.length - accessTokens };
  });
}

/** Replaces DATA_DIR/encryption.key (embedded mode) atomically, owner-only, once the data is re-sealed. */
export async function replaceKeyFile(dataDir: string, key: Buffer): Promise<string> {
  const file = join(resolve(dataDir), 'encryption.key');
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  await rename(temp, file);
  return file;
}
