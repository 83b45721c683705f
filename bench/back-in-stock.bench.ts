// One variant with a 100,000-request waitlist is restocked: time from the catalog update to its
// first batch released (requests marked notified and their flow entries written), beside the
// fastest plain SQL doing the same durable work in the same run: the stock update and its
// observation, the episode row, and the same number of oldest requests marked and entered, on a
// second variant with an identical waitlist in the same tables and indexes.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Benchmark, BenchResult } from './types.ts';
import { createBenchDatabase, withClient } from './support/database.ts';
import { indexSeededEmails } from './support/profile-identifiers.ts';
import { boot } from '../src/boot.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { createStore } from '../src/stores/create-store.ts';
import { ingestCatalog } from '../src/ingest/ingest-catalog.ts';
import { processTriggerQueue } from '../src/flows/enter-flows.ts';
import { createFlow } from '../src/flows/flow-service.ts';
import { lowInventoryPolicy } from '../connectors/low-inventory-policy.ts';
import type { ProductInput } from '../src/model/catalog.ts';
import type { ExternalProductId, ExternalVariantId } from '../src/model/ids.ts';

const WAITLIST = 100_000;
/** Restocked to 500 units at 2 shoppers per unit: the first batch tells 1,000. */
const RESTOCK = 500;
const PER_UNIT = 2;
/** The release keeps at least half the raw rate: at most twice the plain SQL's time. */
const RATIO = 2;

const boots = (quantity: number, twin: number, at: Date): ProductInput => ({
  externalId: 'hot-boot' as ExternalProductId,
  title: 'Hot Boot',
  url: 'https://bench.example.com/boot',
  imageUrl: null,
  price: 90,
  inventoryTracking: 'variant',
  inventoryQuantity: null,
  variants: [
    { externalId: 'hot-boot-m' as ExternalVariantId, title: 'M', inventoryQuantity: quantity },
    { externalId: 'hot-boot-l' as ExternalVariantId, title: 'L', inventoryQuantity: twin },
  ],
  updatedAt: at,
});

export async function runBackInStockBench(size = WAITLIST): Promise<BenchResult> {
  const db = await createBenchDatabase('bis');
  const dataDir = await mkdtemp(join(tmpdir(), 'storeflow-bench-'));
  const config = loadConfig({ DATABASE_URL: db.url, DATA_DIR: dataDir, LOG_LEVEL: 'silent', ENCRYPTION_KEY: randomBytes(32).toString('base64') });
  const rt = await boot({ config, logger: createLogger('silent') });
  try {
    const { store } = await createStore(rt.db.pool, rt.secrets, { platform: 'bigcommerce', domain: 'bench-bis.example.com' });
    await ingestCatalog(rt.db.pool, store.id, [boots(0, 0, new Date(Date.now() - 60_000))]);
    // The same waitlist for both sizes: every shopper asked for M and for L, a second apart, one unit each.
    await withClient(db.url, async (c) => {
      await c.query(
        `INSERT INTO profiles (store_id, email, email_consent)
         SELECT $1, 'waiter' || g || '@bench.example.com', 'subscribed' FROM generate_series(1, $2) g`,
        [store.id, size],
      );
      await indexSeededEmails(c, store.id);
      await c.query(
        `INSERT INTO back_in_stock_requests (store_id, profile_id, variant_id, channels, created_at, expires_at, quantity, source)
         SELECT p.store_id, p.id, v.id, '{email}', now() - interval '30 days' + make_interval(secs => p.n), now() + interval '60 days', 1, 'storefront'
         FROM (SELECT store_id, id, row_number() OVER (ORDER BY id) AS n FROM profiles WHERE store_id = $1) p
         CROSS JOIN variants v WHERE v.store_id = $1`,
        [store.id],
      );
      await c.query('DELETE FROM flow_trigger_queue');
      await c.query('VACUUM ANALYZE');
      // Both paths start from the same warm cache: neither pays for reading the tables first.
      await c.query('CREATE EXTENSION IF NOT EXISTS pg_prewarm');
      await c.query(
        `SELECT pg_prewarm(c.oid) FROM pg_class c
         WHERE c.relname IN ('back_in_stock_requests', 'profiles', 'flow_runs', 'variants', 'products')
            OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid IN ('back_in_stock_requests'::regclass, 'profiles'::regclass, 'flow_runs'::regclass))`,
      );
    });
    const live = await createFlow(rt.db.pool, store, { preset: 'back-in-stock', status: 'live', trigger: { type: 'back-in-stock', minimum: 1, perUnit: PER_UNIT, recountMinutes: 60 } }, lowInventoryPolicy(store, rt.connectors));
    if (!live.ok) throw new Error(`flow refused: ${JSON.stringify(live.errors)}`);
    const draft = await createFlow(rt.db.pool, store, { preset: 'back-in-stock', status: 'draft' }, lowInventoryPolicy(store, rt.connectors));
    if (!draft.ok) throw new Error('second flow refused');

    const started = performance.now();
    await ingestCatalog(rt.db.pool, store.id, [boots(RESTOCK, 0, new Date())]);
    const triggered = await processTriggerQueue(rt.db.pool, { now: new Date() });
    const ms = performance.now() - started;

    const batch = RESTOCK * PER_UNIT;
    const result = await withClient(db.url, async (c) => {
      const runs = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM flow_runs WHERE flow_id = $1', [live.flow.id]);
      const marked = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM back_in_stock_requests WHERE notified_flow_id = $1', [live.flow.id]);
      const twin = (await c.query<{ id: string; product_id: string }>(`SELECT id, product_id FROM variants WHERE store_id = $1 AND external_id = 'hot-boot-l'`, [store.id])).rows[0]!;
      // The limit: the same durable writes in plain SQL, one transaction, nothing read twice.
      const rawStart = performance.now();
      await c.query('BEGIN');
      await c.query('UPDATE variants SET inventory_quantity = $3, updated_at = now() WHERE store_id = $1 AND id = $2', [store.id, twin.id, RESTOCK]);
      await c.query('UPDATE products SET inventory_quantity = $3, updated_at = now() WHERE store_id = $1 AND id = $2', [store.id, twin.product_id, RESTOCK * 2]);
      const obs = await c.query<{ id: string }>(
        `INSERT INTO inventory_observations (store_id, product_id, variant_id, level, old_quantity, new_quantity, source_updated_at, observed_at)
         VALUES ($1, $2, $3, 'variant', 0, $4, now(), now()) RETURNING id`,
        [store.id, twin.product_id, twin.id, RESTOCK],
      );
      const ep = await c.query<{ id: string }>(
        `INSERT INTO back_in_stock_episodes (store_id, flow_id, product_id, variant_id, observation_id, started_at, next_release_at, batches, released)
         VALUES ($1, $2, $3, $4, $5, now(), now() + interval '1 hour', 1, $6) RETURNING id`,
        [store.id, draft.flow.id, twin.product_id, twin.id, obs.rows[0]!.id, batch],
      );
      await c.query(
        `WITH picked AS (
           UPDATE back_in_stock_requests r SET notified_at = now(), notified_flow_id = $3, notified_episode_id = $4
           FROM (SELECT id FROM back_in_stock_requests WHERE store_id = $1 AND variant_id = $2 AND notified_at IS NULL
                 ORDER BY created_at, id LIMIT $5) q
           WHERE r.store_id = $1 AND r.id = q.id
           RETURNING r.id, r.profile_id, r.quantity
         )
         INSERT INTO flow_runs (store_id, flow_id, version, profile_id, key, status, current_step, next_at, entered_at, context)
         SELECT $1, $3, 1, k.profile_id, 'back-in-stock:' || k.id, 'active', 'email', now(), now(),
           jsonb_build_object('item', jsonb_build_object('level', 'variant', 'productId', $6::uuid, 'variantId', $2::uuid), 'backInStock', jsonb_build_object('requestId', k.id, 'quantity', k.quantity))
         FROM picked k`,
        [store.id, twin.id, draft.flow.id, ep.rows[0]!.id, batch, twin.product_id],
      );
      await c.query('COMMIT');
      const rawMs = performance.now() - rawStart;
      const rawRuns = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM flow_runs WHERE flow_id = $1', [draft.flow.id]);
      return { runs: runs.rows[0]!.n, marked: marked.rows[0]!.n, rawRuns: rawRuns.rows[0]!.n, rawMs };
    });
    if (result.runs !== batch || result.marked !== batch || result.rawRuns !== batch) {
      throw new Error(`expected ${batch} released by both paths, found ${result.runs} runs, ${result.marked} marked, ${result.rawRuns} raw`);
    }
    return {
      name: `back in stock: ${size.toLocaleString('en')}-request waitlist → first batch`,
      value: Math.round(ms),
      unit: 'ms',
      limit: { name: 'plain SQL, same writes', value: Math.round(result.rawMs) },
      ratio: ms / result.rawMs,
      target: RATIO,
      better: 'lower',
      valueTarget: 2000,
      details: { waitlist: size, batch, entered: triggered.entered },
    };
  } finally {
    await rt.close();
    await db.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

export const backInStockBench: Benchmark = { id: 'back-in-stock', run: () => runBackInStockBench() };
