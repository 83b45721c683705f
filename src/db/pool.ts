// One pg Pool for the process: the configured server, or the embedded database when none is set.
import pg from 'pg';
import type { Config } from '../config.ts';
import { findRunningEmbedded, startEmbedded, type EmbeddedServer } from './embedded.ts';

// numeric and bigint arrive as strings by default; counts and money fit a double here.
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export type Database = {
  pool: pg.Pool;
  url: string;
  /** 'server' for DATABASE_URL, 'embedded' when this process owns PGlite, 'attached' when another does. */
  mode: 'server' | 'embedded' | 'attached';
  close(): Promise<void>;
};

export type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

export async function openDatabase(config: Pick<Config, 'databaseUrl' | 'dataDir'>, poolSize = 10): Promise<Database> {
  let embedded: EmbeddedServer | undefined;
  let url = config.databaseUrl;
  let mode: Database['mode'] = 'server';
  if (!url) {
    url = await findRunningEmbedded(config.dataDir);
    mode = 'attached';
    if (!url) {
      embedded = await startEmbedded(config.dataDir);
      url = embedded.url;
      mode = 'embedded';
    }
  }
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 5000 });
  // A client losing its server (restart, failover) must not crash the process. The pool's own
  // 'error' covers idle clients only; a checked-out one (a transaction, a LISTEN) emits on itself,
  // and unheard that event killed the process. Its queries still fail (→ 503) and the pool drops it.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  let closed = false;
  return {
    pool,
    url,
    mode,
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
      await embedded?.stop();
    },
  };
}

/** Runs fn in a transaction on one client; rolls back on any error. */
export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
