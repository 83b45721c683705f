// Embedded PostgreSQL (PGlite) for the zero-setup mode, served on a Unix socket in DATA_DIR so
// the app, Agenda and CLI all speak to it through `pg` exactly as they would to a real server,
// and no other user of the machine can.
import { randomBytes } from 'node:crypto';
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, type Server } from 'node:net';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { z } from 'zod';
import { messageQueueFor } from './embedded-queue.ts';
import { openGate } from './embedded-gate.ts';
import { clusterExists, embeddedStartParams, initClusterApart } from './embedded-memory.ts';
import { ownDataDir } from '../util/private-dir.ts';

const SocketFile = z.object({ url: z.string(), pid: z.number().int() });

/** Only names the socket file: Postgres clients given host=<folder> connect to <folder>/.s.PGSQL.<port>. */
const SOCKET_PORT = 5432;
/** A socket path's limit (sun_path: 108 bytes on Linux, 104 on macOS, with its closing NUL). */
const SOCKET_PATH_MAX = 103;

export type EmbeddedServer = { url: string; stop(): Promise<void> };

function socketFilePath(dataDir: string): string {
  return join(resolve(dataDir), 'embedded-db.json');
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The address of an embedded database another live process already serves, if any. */
export async function findRunningEmbedded(dataDir: string): Promise<string | undefined> {
  let raw: string;
  try {
    raw = await readFile(socketFilePath(dataDir), 'utf8');
  } catch {
    return undefined;
  }
  const parsed = SocketFile.safeParse(JSON.parse(raw));
  if (!parsed.success || parsed.data.pid === process.pid || !pidAlive(parsed.data.pid)) return undefined;
  const client = new pg.Client({ connectionString: parsed.data.url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return parsed.data.url;
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => {});
  }
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
}

function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/** Listens on `path`, taking over a socket file a crashed run left behind; never one still served. */
async function listenOnSocket(server: Server, path: string): Promise<void> {
  try {
    await listen(server, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    if (await answers(path)) throw new Error(`another process serves the embedded database at ${path}; stop it, or set DATABASE_URL`, { cause: err });
    await rm(path, { force: true });
    await listen(server, path);
  }
}

/**
 * Opens the database files under DATA_DIR and serves them to this user only: on a Unix socket
 * in DATA_DIR (0700), behind a password generated now and recorded, owner-only, beside it.
 */
export async function startEmbedded(dataDir: string): Promise<EmbeddedServer> {
  const dir = resolve(dataDir);
  const socketPath = join(dir, `.s.PGSQL.${SOCKET_PORT}`);
  if (Buffer.byteLength(socketPath) > SOCKET_PATH_MAX) {
    throw new Error(`DATA_DIR ${dir} is too long to hold the embedded database's socket; use a path under ${SOCKET_PATH_MAX - 13} characters`);
  }
  await ownDataDir(dir);
  const pgDir = join(dir, 'pglite');
  if (!clusterExists(pgDir)) await initClusterApart(pgDir);
  const db = await PGlite.create(pgDir, { startParams: embeddedStartParams() });
  // A new database's first files come out 0666 whatever the umask (PGlite sets their modes as it
  // lays them down); the files it creates later follow the umask.
  await ownDataDir(dir);
  const password = randomBytes(24).toString('base64url');
  const gate = openGate(messageQueueFor(db), password);
  try {
    await listenOnSocket(gate.server, socketPath);
    await chmod(socketPath, 0o600);
  } catch (err) {
    await gate.close();
    await db.close();
    throw err;
  }
  const url = `postgresql://postgres:${password}@/postgres?host=${encodeURIComponent(dir)}&port=${SOCKET_PORT}&sslmode=disable`;
  await writeFile(socketFilePath(dir), JSON.stringify({ url, pid: process.pid }), { mode: 0o600 });
  let stopped = false;
  return {
    url,
    async stop() {
      if (stopped) return;
      stopped = true;
      await gate.close();
      await db.close();
      await rm(socketFilePath(dir), { force: true });
      await rm(socketPath, { force: true });
    },
  };
}
