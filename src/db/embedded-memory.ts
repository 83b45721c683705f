// What bounds the embedded database's memory. PGlite runs Postgres as WebAssembly inside this
// process, and WebAssembly memory only grows: whatever Postgres touches once stays resident until
// the process ends. So its buffers are sized for a single-user store, not a server, and a new
// database is laid down (initdb, a second WebAssembly instance) in a short-lived child process
// whose memory goes back to the system when it exits. See docs/operations.md, "Memory".
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';

/**
 * Postgres settings on top of PGlite's own start parameters. shared_buffers is the big one (the
 * initdb default, 128MB, ends up resident once the tables outgrow it); wal_buffers follows it
 * (1/32). The others cap what one statement or maintenance run may take.
 */
export const EMBEDDED_SETTINGS: Readonly<Record<string, string>> = {
  shared_buffers: '32MB',
  work_mem: '4MB',
  maintenance_work_mem: '16MB',
  temp_buffers: '2MB',
  logical_decoding_work_mem: '4MB',
};

export function embeddedStartParams(): string[] {
  return [...PGlite.defaultStartParams, ...Object.entries(EMBEDDED_SETTINGS).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
}

/** Whether `pgDir` already holds a database cluster. */
export function clusterExists(pgDir: string): boolean {
  return existsSync(join(pgDir, 'PG_VERSION'));
}

/**
 * Creates the cluster at `pgDir` in a child process. initdb runs as its own WebAssembly instance
 * beside the server's; in this process the two together would reach about 1 GB, and that peak
 * would stay resident for the life of the process.
 */
export function initClusterApart(pgDir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // This process's Node flags (--liftoff-only above all), but not a debugger's or test runner's.
    const flags = process.execArgv.filter((f) => !/^--(inspect|debug|test|watch)/.test(f));
    const child = spawn(process.execPath, [...flags, import.meta.filename, pgDir], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`could not create the embedded database in ${pgDir} (${signal ?? `exit ${code}`}): ${err.trim()}`));
    });
  });
}

if (process.argv[1] === import.meta.filename) {
  const pgDir = process.argv[2];
  if (!pgDir) throw new Error('usage: embedded-memory.ts <pglite folder>');
  const db = await PGlite.create(pgDir, { startParams: embeddedStartParams() });
  await db.close();
}
