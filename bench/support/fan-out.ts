// The fan-out benchmarks' shared run: a store where 100,000 shoppers saw "hot-item" (1,000,000
// events in all), one catalog update that starts a flow for all of them, timed from the update
// to all 100,000 flow entries existing, beside a raw INSERT … SELECT of the same rows into the
// same table in the same run.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchResult } from '../types.ts';
import { createBenchDatabase, withClient } from './database.ts';
import { seedHotItemAudience } from './hot-item-seed.ts';
import { boot } from '../../src/boot.ts';
import type { Runtime } from '../../src/runtime.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { createStore } from '../../src/stores/create-store.ts';
import { ingestCatalog } from '../../src/ingest/ingest-catalog.ts';
import { processTriggerQueue } from '../../src/flows/enter-flows.ts';
import { createFlow, type TriggerPolicy } from '../../src/flows/flow-service.ts';
import type { ProductInput } from '../../src/model/catalog.ts';
import type { ExternalProductId } from '../../src/model/ids.ts';
import type { Platform, Store } from '../../src/model/store.ts';

/** A fan-out keeps at least half the raw rate: at most twice the raw INSERT … SELECT time. */
export const FAN_OUT_RATIO = 2;

const SIZE = { audience: 100_000, events: 1_000_000, otherProducts: 1_000 };

export const hotItem = (price: number, quantity: number): ProductInput => ({
  externalId: 'hot-item' as ExternalProductId,
  title: 'Hot Item',
  url: 'https://bench.example.com/hot',
  imageUrl: null,
  price,
  inventoryTracking: 'product',
  inventoryQuantity: quantity,
  variants: [],
});

export type FanOut = {
  name: string;
  database: string;
  platform: Platform;
  before: ProductInput;
  after: ProductInput;
  /** The live flow measured, and a draft one the raw INSERT … SELECT writes into. */
  live: object;
  draft: object;
  policy: (store: Store, rt: Runtime) => TriggerPolicy;
  /** Smaller stores for a quick check of the benchmark itself; the report uses the default. */
  size?: typeof SIZE;
};

/** A seeded store with its live flow, ready for the timed update; `close` drops the database. */
export type PreparedFanOut = { measure(): Promise<BenchResult>; close(): Promise<void> };

export async function runFanOut(f: FanOut): Promise<BenchResult> {
  const prepared = await prepareFanOut(f);
  try {
    return await prepared.measure();
  } finally {
    await prepared.close();
  }
}

/**
 * Seeds the store and creates the live flow, untimed. Two fan-outs compared with each other are
 * both prepared first and then measured back to back, so the machine's load drifts as little as
 * possible between the two figures.
 */
export async function prepareFanOut(f: FanOut): Promise<PreparedFanOut> {
  const size = f.size ?? SIZE;
  const db = await createBenchDatabase(f.database);
  const dataDir = await mkdtemp(join(tmpdir(), 'storeflow-bench-'));
  const config = loadConfig({ DATABASE_URL: db.url, DATA_DIR: dataDir, LOG_LEVEL: 'silent', ENCRYPTION_KEY: randomBytes(32).toString('base64') });
  const rt = await boot({ config, logger: createLogger('silent') });
  const close = async () => {
    await rt.close();
    await db.drop();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const { store } = await createStore(rt.db.pool, rt.secrets, { platform: f.platform, domain: `bench-${f.database}.example.com` });
    await ingestCatalog(rt.db.pool, store.id, [f.before]);
    await seedHotItemAudience(db.url, store.id, size);
    const created = await createFlow(rt.db.pool, store, f.live, f.policy(store, rt));
    if (!created.ok) throw new Error(`flow refused: ${JSON.stringify(created.errors)}`);
    return { measure: () => measureFanOut(f, size, db.url, rt, store, created.flow.id), close };
  } catch (err) {
    await close();
    throw err;
  }
}

async function measureFanOut(f: FanOut, size: typeof SIZE, url: string, rt: Runtime, store: Store, flowId: string): Promise<BenchResult> {
  const started = performance.now();
  await ingestCatalog(rt.db.pool, store.id, [f.after]);
  const triggered = await processTriggerQueue(rt.db.pool, { now: new Date() });
  const ms = performance.now() - started;

  const counts = await withClient(url, async (c) => {
    const runs = await c.query<{ n: number; distinct: number }>('SELECT count(*)::int AS n, count(DISTINCT profile_id)::int AS distinct FROM flow_runs WHERE flow_id = $1', [flowId]);
    // The limit: the same rows written by a bare INSERT … SELECT into the same table (a second flow).
    const other = await createFlow(rt.db.pool, store, f.draft, f.policy(store, rt));
    if (!other.ok) throw new Error('second flow refused');
    const rawStart = performance.now();
    await c.query(
      `INSERT INTO flow_runs (store_id, flow_id, version, profile_id, key, status, current_step, next_at, entered_at, context)
       SELECT store_id, $2, version, profile_id, key, status, current_step, next_at, entered_at, context FROM flow_runs WHERE flow_id = $1`,
      [flowId, other.flow.id],
    );
    return { runs: runs.rows[0]!, rawMs: performance.now() - rawStart };
  });
  if (counts.runs.n !== size.audience || counts.runs.distinct !== size.audience) throw new Error(`expected ${size.audience} entries, found ${counts.runs.n} (${counts.runs.distinct} distinct)`);
  return {
    name: f.name,
    value: Math.round(ms),
    unit: 'ms',
    limit: { name: 'raw INSERT … SELECT', value: Math.round(counts.rawMs) },
    ratio: ms / counts.rawMs,
    target: FAN_OUT_RATIO,
    better: 'lower',
    valueTarget: 3000,
    details: { audience: size.audience, events: size.events, entered: triggered.entered },
  };
}
