// The shape a Citus cluster imposes, simulated on one Postgres: after migrating, each distributed
// table is recreated PARTITION BY HASH on its distribution column, so every primary and unique key
// must include that column, as Citus requires. On with STOREFLOW_TEST_SCHEMA=distributed.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pgModule from 'pg';
import type pg from 'pg';
import { migrate } from '../../src/db/migrate.ts';

export const distributedMode = process.env.STOREFLOW_TEST_SCHEMA === 'distributed';

export const PARTITIONS = 8;

/**
 * Tables with a store_id column that stay whole (Citus reference tables, copied to every node), and
 * why. Reference tables may hold global unique keys, and distributed tables may point at them.
 */
export const REFERENCE_TABLES: Record<string, string> = {
  stores:
    'one row per store; a webhook, a storefront call or an install finds its store by (platform, domain), public_key or private_key_id before any store_id is known, and those keys are unique across stores, so on a distributed stores every such lookup would fan out to all shards',
  merchant_accounts:
    'a merchant signs in by email before any store is known, and the email is unique across stores; the table is small and written only on sign-up and password change',
  support_audit:
    'also records staff changes, which belong to no store, so it is keyed by its own id; written rarely, append-only',
};

/** Distributed tables whose distribution column is not store_id, and why. */
export const OTHER_DISTRIBUTION_COLUMN: Record<string, { column: string; why: string }> = {
  web_sessions: {
    column: 'id_hash',
    why: 'a request finds its session by the cookie hash before it knows the store (staff sessions have none), so sessions are distributed on id_hash: each lookup still routes to one shard',
  },
};

/** Every table with a store_id column that is distributed, with its distribution column. */
export async function distributedTables(db: Pick<pg.Pool, 'query'>): Promise<Map<string, string>> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
      WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND a.attname = 'store_id' AND NOT a.attisdropped
      ORDER BY 1`,
  );
  const out = new Map<string, string>();
  for (const { name } of rows) {
    if (REFERENCE_TABLES[name]) continue;
    out.set(name, OTHER_DISTRIBUTION_COLUMN[name]?.column ?? 'store_id');
  }
  return out;
}

const q = (ident: string) => `"${ident.replaceAll('"', '""')}"`;

/**
 * Recreates each distributed table as a hash-partitioned one with the same columns, defaults,
 * identities, checks, keys, indexes, foreign keys (both ways) and triggers, keeping its rows.
 * A key that lacks the distribution column fails here, naming the table and key.
 */
export async function convertToDistributedShape(client: pg.ClientBase): Promise<void> {
  const tables = await distributedTables(client);
  const names = [...tables.keys()];
  const oids = `(SELECT oid FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relname = ANY($1))`;
  const fks = (
    await client.query<{ rel: string; name: string; def: string }>(
      `SELECT conrelid::regclass::text AS rel, conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint
        WHERE contype = 'f' AND (conrelid IN ${oids} OR confrelid IN ${oids}) ORDER BY oid`,
      [names],
    )
  ).rows;
  const keys = (
    await client.query<{ rel: string; name: string; def: string }>(
      `SELECT conrelid::regclass::text AS rel, conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint
        WHERE contype IN ('p', 'u', 'x') AND conrelid IN ${oids} ORDER BY contype, oid`,
      [names],
    )
  ).rows;
  const indexes = (
    await client.query<{ rel: string; def: string }>(
      `SELECT indrelid::regclass::text AS rel, pg_get_indexdef(indexrelid) AS def FROM pg_index
        WHERE indrelid IN ${oids} AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = indexrelid AND contype IN ('p', 'u', 'x'))
        ORDER BY indexrelid`,
      [names],
    )
  ).rows;
  const triggers = (
    await client.query<{ def: string }>(
      `SELECT pg_get_triggerdef(oid) AS def FROM pg_trigger WHERE NOT tgisinternal AND tgrelid IN ${oids} ORDER BY oid`,
      [names],
    )
  ).rows;

  for (const fk of fks) await client.query(`ALTER TABLE ${fk.rel} DROP CONSTRAINT ${q(fk.name)}`);
  for (const [table, column] of tables) {
    const old = `${table}__whole`;
    await client.query(`ALTER TABLE ${q(table)} RENAME TO ${q(old)}`);
    await client.query(
      `CREATE TABLE ${q(table)} (LIKE ${q(old)} INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING GENERATED
         INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS) PARTITION BY HASH (${q(column)})`,
    );
    for (let i = 0; i < PARTITIONS; i++) {
      await client.query(
        `CREATE TABLE ${q(`${table}_p${i}`)} PARTITION OF ${q(table)} FOR VALUES WITH (MODULUS ${PARTITIONS}, REMAINDER ${i})`,
      );
    }
    const cols = (
      await client.query<{ name: string; identity: string }>(
        `SELECT attname AS name, attidentity AS identity FROM pg_attribute
          WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = '' ORDER BY attnum`,
        [q(old)],
      )
    ).rows;
    const list = cols.map((c) => q(c.name)).join(', ');
    await client.query(`INSERT INTO ${q(table)} (${list}) OVERRIDING SYSTEM VALUE SELECT ${list} FROM ${q(old)}`);
    for (const c of cols.filter((c) => c.identity)) {
      await client.query(
        `SELECT setval(pg_get_serial_sequence($1, $2), COALESCE((SELECT max(${q(c.name)}) FROM ${q(table)}), 0) + 1, false)`,
        [q(table), c.name],
      );
    }
    await client.query(`DROP TABLE ${q(old)}`);
  }
  const missing: string[] = [];
  for (const key of keys) {
    const column = tables.get(key.rel.replace(/^public\./, '').replaceAll('"', ''))!;
    try {
      await client.query('SAVEPOINT key');
      await client.query(`ALTER TABLE ${key.rel} ADD CONSTRAINT ${q(key.name)} ${key.def}`);
      await client.query('RELEASE SAVEPOINT key');
    } catch (err) {
      await client.query('ROLLBACK TO SAVEPOINT key');
      missing.push(`${key.rel}.${key.name} ${key.def} lacks ${column}: ${(err as Error).message}`);
    }
  }
  for (const index of indexes) {
    try {
      await client.query('SAVEPOINT idx');
      await client.query(index.def);
      await client.query('RELEASE SAVEPOINT idx');
    } catch (err) {
      await client.query('ROLLBACK TO SAVEPOINT idx');
      missing.push(`${index.def}: ${(err as Error).message}`);
    }
  }
  if (missing.length) throw new Error(`keys the distributed shape cannot hold:\n${missing.join('\n')}`);
  for (const fk of fks) await client.query(`ALTER TABLE ${fk.rel} ADD CONSTRAINT ${q(fk.name)} ${fk.def}`);
  for (const t of triggers) await client.query(t.def);
}

let template: Promise<string> | undefined;

/**
 * A database migrated and converted once, named by the migrations' digest, that each test
 * database copies: converting takes seconds, copying a fraction of one. Files building it
 * together take turns on an advisory lock; the first builds, the rest find it.
 */
export function distributedTemplate(adminUrl: string): Promise<string> {
  template ??= buildTemplate(adminUrl);
  return template;
}

async function buildTemplate(adminUrl: string): Promise<string> {
  const dir = join(import.meta.dirname, '../../src/db/migrations');
  const hash = createHash('sha256');
  for (const file of (await readdir(dir)).sort()) hash.update(file).update(await readFile(join(dir, file)));
  hash.update(await readFile(import.meta.filename));
  const name = `storeflow_tpl_distributed_${hash.digest('hex').slice(0, 12)}`;
  const admin = new pgModule.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK]);
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!found.rowCount) {
      const building = `${name}_building`;
      await admin.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${building}`);
      const url = new URL(adminUrl);
      url.pathname = `/${building}`;
      const pool = new pgModule.Pool({ connectionString: url.toString(), max: 1 });
      try {
        await migrate(pool);
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          await convertToDistributedShape(client);
          await client.query('COMMIT');
        } finally {
          client.release();
        }
      } finally {
        await pool.end();
      }
      await admin.query(`ALTER DATABASE ${building} RENAME TO ${name}`);
      // Templates of earlier migrations are of no further use; one still being copied stays.
      const stale = await admin.query<{ datname: string }>(
        `SELECT datname FROM pg_database WHERE datname LIKE 'storeflow\\_tpl\\_distributed\\_%' AND datname <> $1`,
        [name],
      );
      for (const { datname } of stale.rows) await admin.query(`DROP DATABASE IF EXISTS ${datname}`).catch(() => {});
    }
  } finally {
    await admin.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK]).catch(() => {});
    await admin.end();
  }
  return name;
}

const TEMPLATE_LOCK = 7_420_312; // arbitrary, fixed: "distributed test template"
