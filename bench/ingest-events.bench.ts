// Events ingested per second through the public API, against the rate at which the same
// Postgres takes the same rows as plain multi-row INSERTs. The ratio is what the write path
// (HTTP, validation, mapping, profile resolution, dedupe, transaction) costs on top of storage.
// The baseline is the fastest honest way to store the same rows: same migrations (tables and
// indexes), same server fsync and synchronous_commit, and the API's own batching (one
// transaction per call of 1,000 events, as many connections as calls in flight), with prepared
// multi-row INSERTs and no dedupe work; the two paths' stored counts must match.
import { indexSeededEmails } from './support/profile-identifiers.ts';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { boot } from '../src/boot.ts';
import { loadConfig } from '../src/config.ts';
import { migrate } from '../src/db/migrate.ts';
import { insertStore } from '../src/db/repositories/stores.ts';
import { issueKeys } from '../src/security/api-keys.ts';
import { createStore } from '../src/stores/create-store.ts';
import { startServer } from '../src/web/server.ts';
import type { Benchmark, BenchResult } from './types.ts';
import { createBenchDatabase, withClient, type BenchDatabase } from './support/database.ts';
import { runWithConcurrency, timed } from './support/concurrency.ts';
import { allProfileEmails, apiBody, checkoutBatch, METRIC, PROFILE_COUNT } from './support/checkout-events.ts';
import { positiveInt } from './support/env.ts';

const EVENTS_PER_CALL = 1_000;
const ITEMS_PER_EVENT = 3;
const WARMUP_CALLS = 5;
const ROUNDS = 5;
const TARGET_RATIO = 0.5;

/** One way of storing a batch; `store(batchIndex)` resolves to the number of events stored. */
type Sink = { store(batchIndex: number): Promise<number>; close(): Promise<void> };

async function apiSink(db: BenchDatabase, runId: string): Promise<Sink> {
  const dataDir = await mkdtemp(join(tmpdir(), 'storeflow-bench-'));
  const config = loadConfig({
    DATABASE_URL: db.url,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    // The per-key limiter guards against abuse; a benchmark that hit it would time the limiter.
    API_RATE_LIMIT: '1000000',
  });
  const rt = await boot({ config });
  const web = await startServer(rt, 0);
  const { privateKey } = await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: 'bench-api.example.com' });
  const url = `http://127.0.0.1:${web.port}/api/v1/events`;
  return {
    async store(batchIndex) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${privateKey}` },
        body: apiBody(checkoutBatch(runId, batchIndex, EVENTS_PER_CALL, ITEMS_PER_EVENT)),
      });
      const text = await res.text();
      if (res.status !== 202) throw new Error(`POST /api/v1/events answered ${res.status}: ${text.slice(0, 500)}`);
      const { accepted } = JSON.parse(text) as { accepted: number };
      if (accepted !== EVENTS_PER_CALL) throw new Error(`expected ${EVENTS_PER_CALL} accepted, got ${text}`);
      return accepted;
    },
    async close() {
      await web.stop();
      await rt.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** `($1, $2, …), ($1, …)`: `rows` tuples of the shared `$1` followed by `width` own parameters. */
function valuesList(rows: number, width: number): string {
  const tuples: string[] = [];
  for (let r = 0; r < rows; r++) {
    const cols: string[] = ['$1'];
    for (let c = 0; c < width; c++) cols.push(`$${2 + r * width + c}`);
    tuples.push(`(${cols.join(', ')})`);
  }
  return tuples.join(', ');
}

async function rawSink(db: BenchDatabase, runId: string, inFlight: number): Promise<Sink> {
  const pool = new pg.Pool({ connectionString: db.url, max: inFlight });
  await migrate(pool);
  const keys = issueKeys();
  const store = await insertStore(pool, {
    platform: 'custom',
    domain: 'bench-raw.example.com',
    publicKey: keys.publicKey,
    privateKeyId: keys.privateKeyId,
    privateKeyHash: keys.privateKeyHash,
  });
  // Profiles exist up front: this path measures storage alone, not profile resolution.
  const { rows: profiles } = await pool.query<{ id: string; email: string }>(
    'INSERT INTO profiles (store_id, email) SELECT $1, e FROM unnest($2::text[]) AS e RETURNING id, email',
    [store.id, allProfileEmails()],
  );
  const profileId = new Map(profiles.map((p) => [p.email, p.id]));
  await indexSeededEmails(pool, store.id);

  // Prepared once per connection (named queries): re-parsing 18,000 placeholders on every call
  // would understate the database, and this figure is meant as the best plain INSERT can do.
  const insertEvents = {
    name: 'bench-insert-events',
    text: `INSERT INTO events (store_id, metric, profile_id, time, value, properties, unique_id)
      VALUES ${valuesList(EVENTS_PER_CALL, 6)} RETURNING id, unique_id`,
  };
  const insertItems = {
    name: 'bench-insert-items',
    text: `INSERT INTO event_items (store_id, event_id, position, product_external_id, variant_external_id, quantity, price)
      VALUES ${valuesList(EVENTS_PER_CALL * ITEMS_PER_EVENT, 6)}`,
  };

  return {
    async store(batchIndex) {
      const events = checkoutBatch(runId, batchIndex, EVENTS_PER_CALL, ITEMS_PER_EVENT);
      const eventParams: unknown[] = [store.id];
      for (const e of events) {
        eventParams.push(METRIC, profileId.get(e.email), e.time, e.value, JSON.stringify(e.properties), e.uniqueId);
      }
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const { rows } = await client.query<{ id: number; unique_id: string }>({ ...insertEvents, values: eventParams });
        const idOf = new Map(rows.map((r) => [r.unique_id, r.id]));
        const itemParams: unknown[] = [store.id];
        for (const e of events) {
          const id = idOf.get(e.uniqueId);
          for (const [position, i] of e.properties.Items.entries()) {
            itemParams.push(id, position, i.ProductID, i.VariantID, i.Quantity, i.ItemPrice);
          }
        }
        await client.query({ ...insertItems, values: itemParams });
        await client.query('COMMIT');
        return rows.length;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

const checkpoint = (url: string) => withClient(url, (c) => c.query('CHECKPOINT').then(() => {}));

const storedRows = (url: string) =>
  withClient(url, async (c) => {
    const { rows } = await c.query<{ events: number; items: number }>(
      'SELECT (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM event_items) AS items',
    );
    return rows[0]!;
  });

type Tally = { events: number; seconds: number; roundRates: number[] };

async function measureRound(sink: Sink, batches: number[], inFlight: number, tally: Tally): Promise<void> {
  let events = 0;
  const seconds = await timed(() =>
    runWithConcurrency(batches.length, inFlight, async (i) => {
      // Not `events += await …`: that reads `events` before the await and loses concurrent adds.
      const stored = await sink.store(batches[i]!);
      events += stored;
    }),
  );
  tally.events += events;
  tally.seconds += seconds;
  tally.roundRates.push(events / seconds);
}

async function run(): Promise<BenchResult> {
  const calls = Math.max(ROUNDS, Math.round(positiveInt('BENCH_EVENTS', 200_000) / EVENTS_PER_CALL));
  const inFlight = positiveInt('BENCH_CONCURRENCY', 3);
  const runId = randomBytes(4).toString('hex');

  // Separate databases: each path starts from empty tables and indexes of the same schema.
  const apiDb = await createBenchDatabase('api');
  const rawDb = await createBenchDatabase('raw');
  const sinks: Sink[] = [];
  try {
    const api = await apiSink(apiDb, runId);
    sinks.push(api);
    const raw = await rawSink(rawDb, runId, inFlight);
    sinks.push(raw);

    // Both paths store the same batches in the same order: warm-up first, then the measured ones.
    const warmup = Array.from({ length: WARMUP_CALLS }, (_, i) => i);
    for (const sink of [api, raw]) await runWithConcurrency(warmup.length, inFlight, (i) => sink.store(warmup[i]!).then(() => {}));
    // Neither path should pay for the warm-up's dirty pages.
    await checkpoint(apiDb.url);
    await checkpoint(rawDb.url);

    // Alternating rounds, so checkpoints, autovacuum and cache drift fall on both paths alike.
    const apiTally: Tally = { events: 0, seconds: 0, roundRates: [] };
    const rawTally: Tally = { events: 0, seconds: 0, roundRates: [] };
    const perRound = Math.ceil(calls / ROUNDS);
    for (let round = 0; round < ROUNDS; round++) {
      const first = WARMUP_CALLS + round * perRound;
      const batches = Array.from({ length: Math.min(perRound, WARMUP_CALLS + calls - first) }, (_, i) => first + i);
      if (batches.length === 0) break;
      await measureRound(api, batches, inFlight, apiTally);
      await measureRound(raw, batches, inFlight, rawTally);
    }

    // Both paths must have stored the same rows, or the ratio compares different work.
    const [apiRows, rawRows] = [await storedRows(apiDb.url), await storedRows(rawDb.url)];
    if (apiRows.events !== rawRows.events || apiRows.items !== rawRows.items) {
      throw new Error(`paths stored different rows: API ${JSON.stringify(apiRows)}, raw ${JSON.stringify(rawRows)}`);
    }

    const apiRate = apiTally.events / apiTally.seconds;
    const rawRate = rawTally.events / rawTally.seconds;
    const rates = (t: Tally) => t.roundRates.map((r) => Math.round(r)).join(', ');
    return {
      name: 'events via API',
      value: apiRate,
      unit: 'events/s',
      limit: { name: `prepared multi-row INSERT (${EVENTS_PER_CALL.toLocaleString('en-US')} events + their items per transaction, ${inFlight} connections)`, value: rawRate },
      ratio: apiRate / rawRate,
      target: TARGET_RATIO,
      details: {
        eventsPerCall: EVENTS_PER_CALL,
        itemsPerEvent: ITEMS_PER_EVENT,
        distinctProfiles: PROFILE_COUNT,
        callsInFlight: inFlight,
        warmupCalls: WARMUP_CALLS,
        rounds: ROUNDS,
        apiEvents: apiTally.events,
        apiSeconds: Number(apiTally.seconds.toFixed(3)),
        apiRoundRates: rates(apiTally),
        rawEvents: rawTally.events,
        rawSeconds: Number(rawTally.seconds.toFixed(3)),
        rawRoundRates: rates(rawTally),
        storedEventsPerPath: apiRows.events,
        storedItemsPerPath: apiRows.items,
      },
    };
  } finally {
    for (const sink of sinks.reverse()) await sink.close().catch(() => {});
    const dropped = await Promise.allSettled([apiDb.drop(), rawDb.drop()]);
    for (const d of dropped) if (d.status === 'rejected') console.error(`could not drop a bench database: ${String(d.reason)}`);
  }
}

export const ingestEventsBench: Benchmark = { id: 'ingest-events', run };
