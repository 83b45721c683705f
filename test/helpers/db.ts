// Each test file gets its own database on the real Postgres at 127.0.0.1:5432 (or TEST_PG_URL),
// dropped at the end, so files run in parallel without seeing each other's rows.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { loadConfig, type Config } from '../../src/config.ts';
import { boot } from '../../src/boot.ts';
import type { Runtime } from '../../src/runtime.ts';
import { createLogger } from '../../src/logger.ts';
import { distributedMode, distributedTemplate } from './distributed-schema.ts';

export const ADMIN_URL = process.env.TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `storeflow_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  const template = distributedMode ? await distributedTemplate(ADMIN_URL) : undefined;
  await admin.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export type TestRuntime = Runtime & { dataDir: string; dispose(): Promise<void> };

/**
 * A booted runtime (migrated) on a fresh database. `embedded: true` uses PGlite in a temp
 * DATA_DIR instead of the real server.
 */
export async function testRuntime(opts: { embedded?: boolean; env?: Record<string, string> } = {}): Promise<TestRuntime> {
  const dataDir = await mkdtemp(join(tmpdir(), 'storeflow-test-'));
  const database = opts.embedded ? undefined : await createTestDatabase();
  const config: Config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'silent',
    ...(database ? { DATABASE_URL: database.url } : {}),
    ...opts.env,
  });
  const rt = await boot({ config, logger: createLogger(config.logLevel) });
  return {
    ...rt,
    dataDir,
    async dispose() {
      await rt.close();
      await database?.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
