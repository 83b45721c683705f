// An item with a 100,000-shopper audience (1,000,000 events in the store) falls below its
// threshold: time from the inventory update to all 100,000 flow entries existing, beside a raw
// INSERT … SELECT of the same rows into the same table in the same run.
import { indexSeededEmails } from './support/profile-identifiers.ts';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Benchmark, BenchResult } from './types.ts';
import { createBenchDatabase, withClient } from './support/database.ts';
import { boot } from '../src/boot.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { createStore } from '../src/stores/create-store.ts';
import { ingestCatalog } from '../src/ingest/ingest-catalog.ts';
import { processTriggerQueue } from '../src/flows/enter-flows.ts';
import { createFlow } from '../src/flows/flow-service.ts';
import { lowInventoryPolicy } from '../connectors/low-inventory-policy.ts';
import type { ProductInput } from '../src/model/catalog.ts';
import type { ExternalProductId } from '../src/model/ids.ts';

const AUDIENCE = 100_000;
const EVENTS = 1_000_000;
const OTHER_PRODUCTS = 1_000;

const hot = (quantity: number): ProductInput => ({
  externalId: 'hot-item' as ExternalProductId,
  title: 'Hot Item',
  url: 'https://bench.example.com/hot',
  imageUrl: null,
  price: 25,
  inventoryTracking: 'product',
  inventoryQuantity: quantity,
  variants: [],
});

export const lowInventoryBench: Benchmark = {
  id: 'low-inventory',
  async run(): Promise<BenchResult> {
    const db = await createBenchDatabase('lowinv');
    const dataDir = await mkdtemp(join(tmpdir(), 'storeflow-bench-'));
    const config = loadConfig({ DATABASE_URL: db.url, DATA_DIR: dataDir, LOG_LEVEL: 'silent', ENCRYPTION_KEY: randomBytes(32).toString('base64') });
    const rt = await boot({ config, logger: createLogger('silent') });
    try {
      const { store } = await createStore(rt.db.pool, rt.secrets, { platform: 'bigcommerce', domain: 'bench-lowinv.example.com' });
      await ingestCatalog(rt.db.pool, rt.signals, store.id, [hot(10)]);
      // Seeding through SQL: the benchmark is about the fall, not about ingesting a million events.
      // Each shopper's first event views the hot item; the other 900,000 are about other products.
      await withClient(db.url, async (c) => {
        await c.query(
          `INSERT INTO profiles (store_id, email, email_consent)
           SELECT $1, 'shopper' || g || '@bench.example.com', 'subscribed' FROM generate_series(1, $2) g`,
          [store.id, AUDIENCE],
        );
        await indexSeededEmails(c, store.id);
        await c.query(
          `WITH p AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM profiles WHERE store_id = $1),
           e AS (
             INSERT INTO events (store_id, metric, profile_id, time, properties, unique_id)
             SELECT $1, CASE WHEN g <= $3 OR g % 10 < 6 THEN 'Viewed Product' ELSE 'Added to Cart' END,
               p.id, now() - make_interval(secs => (g % (20 * 86400))), '{}'::jsonb, 'seed-' || g
             FROM generate_series(1, $2) g JOIN p ON p.n = 1 + (g % $3)
             RETURNING id, unique_id
           )
           INSERT INTO event_items (store_id, event_id, position, product_external_id, quantity, price)
           SELECT $1, e.id, 0, CASE WHEN substring(e.unique_id from 6)::int <= $3 THEN 'hot-item' ELSE 'other-' || (substring(e.unique_id from 6)::int % $4) END, 1, 25
           FROM e`,
          [store.id, EVENTS, AUDIENCE, OTHER_PRODUCTS],
        );
        await c.query('DELETE FROM flow_trigger_queue');
        await c.query('VACUUM ANALYZE');
      });
      const created = await createFlow(rt.db.pool, store, { preset: 'low-inventory', status: 'live', trigger: { level: 'product', threshold: 5, metrics: ['Viewed Product'], lookbackDays: 30, excludePurchasedWithinDays: 30 } }, lowInventoryPolicy(store, rt.connectors));
      if (!created.ok) throw new Error(`flow refused: ${JSON.stringify(created.errors)}`);

      const started = performance.now();
      await ingestCatalog(rt.db.pool, rt.signals, store.id, [hot(3)]);
      const triggered = await processTriggerQueue(rt.db.pool, { now: new Date() });
      const ms = performance.now() - started;

      const counts = await withClient(db.url, async (c) => {
        const runs = await c.query<{ n: number; distinct: number }>('SELECT count(*)::int AS n, count(DISTINCT profile_id)::int AS distinct FROM flow_runs WHERE flow_id = $1', [created.flow.id]);
        // The limit: the same rows written by a bare INSERT … SELECT into the same table (a second flow).
        const other = await createFlow(rt.db.pool, store, { preset: 'low-inventory', status: 'draft', trigger: { level: 'product', threshold: 5, metrics: ['Viewed Product'] } }, lowInventoryPolicy(store, rt.connectors));
        if (!other.ok) throw new Error('second flow refused');
        const rawStart = performance.now();
        await c.query(
          `INSERT INTO flow_runs (store_id, flow_id, version, profile_id, key, status, current_step, next_at, entered_at, context)
           SELECT store_id, $2, version, profile_id, key, status, current_step, next_at, entered_at, context FROM flow_runs WHERE flow_id = $1`,
          [created.flow.id, other.flow.id],
        );
        return { runs: runs.rows[0]!, rawMs: performance.now() - rawStart };
      });
      if (counts.runs.n !== AUDIENCE || counts.runs.distinct !== AUDIENCE) throw new Error(`expected ${AUDIENCE} entries, found ${counts.runs.n} (${counts.runs.distinct} distinct)`);
      return {
        name: 'low-inventory fall → 100k entries',
        value: Math.round(ms),
        unit: 'ms',
        limit: { name: 'raw INSERT … SELECT', value: Math.round(counts.rawMs) },
        ratio: ms / counts.rawMs,
        // At least half the raw rate: at most twice the raw time.
        target: 2,
        better: 'lower',
        valueTarget: 3000,
        details: { audience: AUDIENCE, events: EVENTS, entered: triggered.entered },
      };
    } finally {
      await rt.close();
      await db.drop();
      await rm(dataDir, { recursive: true, force: true });
    }
  },
};
