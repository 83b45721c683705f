// The fan-out benchmarks' shared run: a store where 100,000 shoppers saw "hot-item" (1,000,000
// events in all), one catalog update that starts a flow for all of them, timed from the update
// to all 100,000 flow entries existing. The timed path is what production runs: the catalog
// write (which queues the trigger in its transaction), then the worker's trigger job
// (runTriggerJob: drains flow_trigger_queue, finds the audience, enters it), as each poll of
// 'flows:triggers' runs it. Beside it, in the same run, on the same table and indexes:
//   limit        the same 100,000 rows copied by one bare INSERT … SELECT (no audience query, no
//                ON CONFLICT): the fastest honest way to write what the fall writes
//   single-row   the same rows as prepared one-row INSERTs in one transaction (first round
//                only, on 10,000 of the rows: a round trip per row), as a rate
//   unindexed    the same rows into a table with flow_runs' columns and no index or key, the
//                floor the indexes cost on top of
// Each is repeated (BENCH_FANOUT_ROUNDS, default 5) on the same seeded store: the stock goes back
// up (untimed) and falls again, a new fall with new run keys; the rows are then deleted and
// vacuumed so every round starts from the same table. The row reports the median round.
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
import { runTriggerJob } from '../../src/jobs/flow-jobs.ts';
import { positiveInt } from './env.ts';
import { createFlow, type TriggerPolicy } from '../../src/flows/flow-service.ts';
import type { ProductInput } from '../../src/model/catalog.ts';
import type { ExternalProductId } from '../../src/model/ids.ts';
import type { Platform, Store } from '../../src/model/store.ts';

/** A fan-out keeps at least half the raw rate: at most twice the raw INSERT … SELECT time. */
export const FAN_OUT_RATIO = 2;

const SIZE = { audience: 100_000, events: 1_000_000, otherProducts: 1_000 };
const SINGLE_ROW_SAMPLE = 10_000;

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
  /** The bar on the time itself, in ms. */
  valueTarget: number;
};

export async function runFanOut(f: FanOut): Promise<BenchResult> {
  const size = f.size ?? SIZE;
  const rounds = positiveInt('BENCH_FANOUT_ROUNDS', 5);
  const db = await createBenchDatabase(f.database);
  const dataDir = await mkdtemp(join(tmpdir(), 'storeflow-bench-'));
  const config = loadConfig({ DATABASE_URL: db.url, DATA_DIR: dataDir, LOG_LEVEL: 'silent', ENCRYPTION_KEY: randomBytes(32).toString('base64') });
  const rt = await boot({ config, logger: createLogger('silent') });
  try {
    const { store } = await createStore(rt.db.pool, rt.secrets, { platform: f.platform, domain: `bench-${f.database}.example.com` });
    await ingestCatalog(rt.db.pool, store.id, [f.before]);
    await seedHotItemAudience(db.url, store.id, size);
    const created = await createFlow(rt.db.pool, store, f.live, f.policy(store, rt));
    if (!created.ok) throw new Error(`flow refused: ${JSON.stringify(created.errors)}`);
    // The raw sides write into a second flow of the same store, so the rows differ from the
    // measured ones only in flow_id.
    const other = await createFlow(rt.db.pool, store, f.draft, f.policy(store, rt));
    if (!other.ok) throw new Error('second flow refused');

    const measured: number[] = [];
    const raw: number[] = [];
    const singleRow: number[] = [];
    const unindexed: number[] = [];
    let entered = 0;
    await withClient(db.url, async (c) => {
      await c.query('CREATE TABLE bench_unindexed_runs (LIKE flow_runs INCLUDING DEFAULTS)');
      const reset = async () => {
        await c.query('DELETE FROM flow_runs');
        await c.query('TRUNCATE bench_unindexed_runs');
        await c.query('VACUUM ANALYZE flow_runs');
        await c.query('CHECKPOINT');
      };
      for (let round = 0; round < rounds; round++) {
        if (round > 0) {
          // Back above the threshold, untimed; its queue row (no crossing) is drained here too.
          await ingestCatalog(rt.db.pool, store.id, [f.before]);
          await runTriggerJob(rt);
        }
        await reset();

        const started = performance.now();
        await ingestCatalog(rt.db.pool, store.id, [f.after]);
        await runTriggerJob(rt);
        measured.push(performance.now() - started);

        const runs = await c.query<{ n: number; distinct: number }>('SELECT count(*)::int AS n, count(DISTINCT profile_id)::int AS distinct FROM flow_runs WHERE flow_id = $1', [created.flow.id]);
        const { n, distinct } = runs.rows[0]!;
        if (n !== size.audience || distinct !== size.audience) throw new Error(`round ${round + 1}: expected ${size.audience} entries, found ${n} (${distinct} distinct)`);
        entered = n;
        const queued = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM flow_trigger_queue');
        if (queued.rows[0]!.n !== 0) throw new Error(`round ${round + 1}: ${queued.rows[0]!.n} triggers left in the queue`);

        const columns = 'store_id, flow_id, version, profile_id, key, status, current_step, next_at, entered_at, context';
        await c.query('CHECKPOINT');
        let t = performance.now();
        await c.query(`INSERT INTO flow_runs (${columns}) SELECT store_id, $2, version, profile_id, key, status, current_step, next_at, entered_at, context FROM flow_runs WHERE flow_id = $1`, [created.flow.id, other.flow.id]);
        raw.push(performance.now() - t);

        await c.query('CHECKPOINT');
        t = performance.now();
        await c.query(`INSERT INTO bench_unindexed_runs (${columns}) SELECT ${columns} FROM flow_runs WHERE flow_id = $1`, [created.flow.id]);
        unindexed.push(performance.now() - t);

        // The literal reference is slow (a round trip per row): taken in the first round only,
        // on the first SINGLE_ROW_SAMPLE rows, and reported as a rate and as the time 100,000 take at it.
        if (round > 0) continue;
        // Read untimed; written one prepared statement per row, all in one transaction.
        const { rows } = await c.query<Record<string, unknown>>(`SELECT ${columns} FROM flow_runs WHERE flow_id = $1 LIMIT $2`, [created.flow.id, SINGLE_ROW_SAMPLE]);
        await c.query('DELETE FROM flow_runs WHERE flow_id = $1', [other.flow.id]);
        await c.query('VACUUM flow_runs');
        await c.query('CHECKPOINT');
        t = performance.now();
        await c.query('BEGIN');
        for (const r of rows) {
          await c.query({
            name: 'bench-single-row-run',
            text: `INSERT INTO flow_runs (${columns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
            values: [r.store_id, other.flow.id, r.version, r.profile_id, r.key, r.status, r.current_step, r.next_at, r.entered_at, r.context],
          });
        }
        await c.query('COMMIT');
        singleRow.push(performance.now() - t);
      }
    });

    const med = median(measured);
    const rawMed = median(raw);
    const ms = (xs: number[]) => xs.map((x) => Math.round(x)).join(', ');
    return {
      name: f.name,
      value: Math.round(med),
      unit: 'ms',
      limit: { name: 'raw INSERT … SELECT, same table and indexes', value: Math.round(rawMed) },
      ratio: med / rawMed,
      target: FAN_OUT_RATIO,
      better: 'lower',
      valueTarget: f.valueTarget,
      details: {
        audience: size.audience,
        events: size.events,
        entered,
        rounds,
        timedPath: 'ingestCatalog + runTriggerJob (the flows:triggers job)',
        measuredMinMs: Math.round(Math.min(...measured)),
        measuredMaxMs: Math.round(Math.max(...measured)),
        measuredRoundsMs: ms(measured),
        rawMinMs: Math.round(Math.min(...raw)),
        rawMaxMs: Math.round(Math.max(...raw)),
        rawRoundsMs: ms(raw),
        singleRowSampleRows: SINGLE_ROW_SAMPLE,
        singleRowPerSecond: Math.round(SINGLE_ROW_SAMPLE / (singleRow[0]! / 1000)),
        singleRowAudienceMs: Math.round((singleRow[0]! * size.audience) / SINGLE_ROW_SAMPLE),
        singleRowRatio: Number((med / ((singleRow[0]! * size.audience) / SINGLE_ROW_SAMPLE)).toFixed(2)),
        unindexedMedianMs: Math.round(median(unindexed)),
        unindexedRoundsMs: ms(unindexed),
      },
    };
  } finally {
    await rt.close();
    await db.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
