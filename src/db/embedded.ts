// Embedded PostgreSQL (PGlite) for the zero-setup mode, served on a loopback socket so the
// app, Agenda and CLI all speak to it through `pg` exactly as they would to a real server.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import pg from 'pg';
import { z } from 'zod';
import { keepExtendedQueriesTogether } from './embedded-queue.ts';

const SocketFile = z.object({ url: z.string(), pid: z.number().int() });

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

/** Opens the database files under DATA_DIR and serves them on 127.0.0.1 on a free port. */
export async function startEmbedded(dataDir: string): Promise<EmbeddedServer> {
  const dir = resolve(dataDir);
  await mkdir(dir, { recursive: true });
  const db = await PGlite.create(join(dir, 'pglite'));
  // The socket server queues protocol messages; with the scheduler fix, each connection's
  // transactions and extended queries stay whole, so pooled clients behave as on a server.
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 64 });
  keepExtendedQueriesTogether(server, db);
  await server.start();
  const url = `postgresql://postgres@${server.getServerConn()}/postgres?sslmode=disable`;
  await writeFile(socketFilePath(dir), JSON.stringify({ url, pid: process.pid }));
  let stopped = false;
  return {
    url,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
      await db.close();
      await rm(socketFilePath(dir), { force: true });
    },
  };
}
