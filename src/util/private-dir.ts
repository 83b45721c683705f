// DATA_DIR holds the embedded database's files, its socket and the generated encryption key:
// only the user running the app may enter it.
import { chmod, lstat, mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

const gone = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';

/** Strips group and other bits from everything under `path` this user owns; symlinks are left alone. */
async function tighten(path: string, uid: number | undefined): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(path);
  } catch (err) {
    if (gone(err)) return; // removed meanwhile by the database itself
    throw err;
  }
  for (const name of entries) {
    const p = join(path, name);
    try {
      const st = await lstat(p);
      if (st.isSymbolicLink() || (uid !== undefined && st.uid !== uid)) continue;
      if (st.mode & 0o077) await chmod(p, st.mode & 0o700);
      if (st.isDirectory()) await tighten(p, uid);
    } catch (err) {
      if (!gone(err)) throw err;
    }
  }
}

/**
 * Makes `dir` (created if missing) 0700 and strips group/other bits from what an earlier
 * release left in it; from here on this process creates files owner-only (umask 077), which
 * covers the embedded database's own writes as well as ours.
 */
export async function ownDataDir(dir: string): Promise<void> {
  process.umask(0o077);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const uid = process.getuid?.();
  const st = await lstat(dir);
  // A folder someone else made first (or a link they planted) is theirs to rename files in: they
  // could swap the key or the recorded database address under us. Postgres refuses the same.
  if (uid !== undefined && (st.uid !== uid || (await stat(dir)).uid !== uid)) {
    throw new Error(`DATA_DIR ${dir} belongs to another user (uid ${st.uid}); use a folder this user (uid ${uid}) owns`);
  }
  if (st.mode & 0o077) await chmod(dir, st.mode & 0o700);
  await tighten(dir, uid);
}
