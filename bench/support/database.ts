// A throwaway database on the real Postgres for each run, so a benchmark never touches (or is
// slowed by) rows someone else left behind.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export type BenchDatabase = { name: string; url: string; drop(): Promise<void> };

async function asAdmin(sql: string): Promise<void> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/**
 * With `template`, the new database starts as a copy of that one (which must have no open
 * connections): two paths can then start from byte-identical tables without seeding twice.
 */
export async function createBenchDatabase(label: string, opts: { template?: BenchDatabase } = {}): Promise<BenchDatabase> {
  const name = `storeflow_bench_${label}_${randomBytes(4).toString('hex')}`;
  await asAdmin(opts.template ? `CREATE DATABASE ${name} TEMPLATE ${opts.template.name}` : `CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return { name, url: url.toString(), drop: () => asAdmin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** One short-lived connection, for setup and checks outside any pool. */
export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}
