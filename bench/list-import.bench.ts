// A 100,000-row CSV imported into a list through the import use case (stream parse, zod per row,
// identity resolution, consent, membership, one transaction per 1,000 rows), against the rate at
// which the same Postgres takes the same rows as plain unnest INSERTs into profiles, identifiers
// and memberships. The ratio is what parsing, checking and resolving cost on top of storage.
import { Readable } from 'node:stream';
import pg from 'pg';
import { migrate } from '../src/db/migrate.ts';
import { insertStore } from '../src/db/repositories/stores.ts';
import { insertList } from '../src/db/repositories/lists.ts';
import { issueKeys } from '../src/security/api-keys.ts';
import { importListCsv } from '../src/ingest/import-list-csv.ts';
import type { StoreId } from '../src/model/ids.ts';
import type { Benchmark, BenchResult } from './types.ts';
import { createBenchDatabase } from './support/database.ts';
import { positiveInt } from './support/env.ts';

const TARGET_RATIO = 0.2;
const BATCH = 1_000;

const row = (i: number) => ({ email: `csv-${i}@bench.example`, first: `First${i}`, last: `Last${i}`, consent: i % 3 === 0 ? 'yes' : i % 3 === 1 ? 'no' : '' });

function csvOf(rows: number): Buffer {
  const lines = ['email,first_name,last_name,email_consent'];
  for (let i = 0; i < rows; i++) {
    const r = row(i);
    lines.push(`${r.email},${r.first},${r.last},${r.consent}`);
  }
  return Buffer.from(lines.join('\n') + '\n');
}

async function freshStore(label: string): Promise<{ pool: pg.Pool; storeId: StoreId; drop(): Promise<void> }> {
  const db = await createBenchDatabase(label);
  const pool = new pg.Pool({ connectionString: db.url, max: 4 });
  await migrate(pool);
  const keys = issueKeys();
  const store = await insertStore(pool, { platform: 'custom', domain: `${label}.bench.example`, publicKey: keys.publicKey, privateKeyId: keys.privateKeyId, privateKeyHash: keys.privateKeyHash });
  await insertList(pool, store.id, 'Imported');
  return { pool, storeId: store.id, async drop() { await pool.end(); await db.drop(); } };
}

async function rawRate(rows: number): Promise<number> {
  const { pool, storeId, drop } = await freshStore('csvraw');
  try {
    const started = performance.now();
    for (let from = 0; from < rows; from += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, rows - from) }, (_, k) => row(from + k));
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const { rows: made } = await client.query<{ id: string; email: string }>(
          `INSERT INTO profiles (store_id, email, first_name, last_name, email_consent)
           SELECT $1, e, f, l, c FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS x(e, f, l, c) RETURNING id, email`,
          [storeId, batch.map((r) => r.email), batch.map((r) => r.first), batch.map((r) => r.last), batch.map((r) => (r.consent === 'yes' ? 'subscribed' : r.consent === 'no' ? 'unsubscribed' : 'never_subscribed'))],
        );
        await client.query(
          `INSERT INTO profile_identifiers (store_id, kind, value, profile_id) SELECT $1, 'email', e, p FROM unnest($2::text[], $3::uuid[]) AS x(e, p)`,
          [storeId, made.map((m) => m.email), made.map((m) => m.id)],
        );
        await client.query(`INSERT INTO profile_lists (store_id, list, profile_id) SELECT $1, 'Imported', p FROM unnest($2::uuid[]) AS p`, [storeId, made.map((m) => m.id)]);
        await client.query('COMMIT');
      } finally {
        client.release();
      }
    }
    return rows / ((performance.now() - started) / 1000);
  } finally {
    await drop();
  }
}

export const listImportBench: Benchmark = {
  id: 'list-import',
  async run(): Promise<BenchResult> {
    const rows = positiveInt('BENCH_CSV_ROWS', 100_000);
    const csv = csvOf(rows);
    const { pool, storeId, drop } = await freshStore('csvimport');
    let rate: number;
    let again: number;
    try {
      const started = performance.now();
      const done = await importListCsv(pool, storeId, 'Imported', Readable.from([csv]), 'bench');
      rate = rows / ((performance.now() - started) / 1000);
      if (done.status !== 'done' || done.report.rowsImported !== rows || done.report.joined !== rows) throw new Error(`import did not take every row: ${JSON.stringify(done)}`);
      const second = performance.now();
      const redo = await importListCsv(pool, storeId, 'Imported', Readable.from([csv]), 'bench');
      again = rows / ((performance.now() - second) / 1000);
      if (redo.status !== 'done' || redo.report.joined !== 0 || redo.report.consentRecorded !== 0) throw new Error(`re-import changed something: ${JSON.stringify(redo)}`);
    } finally {
      await drop();
    }
    const limit = await rawRate(rows);
    return {
      name: `CSV rows imported into a list per second (${rows.toLocaleString('en')} rows, ${(csv.length / 1024 / 1024).toFixed(1)} MB)`,
      value: Math.round(rate),
      unit: 'rows/s',
      limit: { name: 'plain unnest INSERTs of the same rows (profiles, identifiers, memberships)', value: Math.round(limit) },
      ratio: rate / limit,
      target: TARGET_RATIO,
      details: { rows, bytes: csv.length, reimportRowsPerSecond: Math.round(again) },
    };
  },
};
