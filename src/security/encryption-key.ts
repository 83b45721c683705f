import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ownDataDir } from '../util/private-dir.ts';

/**
 * ENCRYPTION_KEY when set; otherwise the key kept under DATA_DIR, created on first start
 * (mode 0600). Losing that file makes stored access tokens unreadable: back it up with the data.
 */
export async function resolveEncryptionKey(configured: Buffer | undefined, dataDir: string): Promise<{ key: Buffer; generated: boolean }> {
  if (configured) return { key: configured, generated: false };
  const dir = resolve(dataDir);
  const file = join(dir, 'encryption.key');
  await ownDataDir(dir);
  try {
    const key = Buffer.from((await readFile(file, 'utf8')).trim(), 'base64');
    if (key.length === 32) return { key, generated: false };
    throw new Error(`${file} does not hold a 32-byte base64 key; restore it or set ENCRYPTION_KEY`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const key = randomBytes(32);
  // 'wx' fails if another process created it meanwhile; then read theirs.
  try {
    await writeFile(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    return { key, generated: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return { key: Buffer.from((await readFile(file, 'utf8')).trim(), 'base64'), generated: false };
  }
}
