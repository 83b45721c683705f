// Memory gates: the resident set size (VmHWM, the kernel's high-water mark, sampled with VmRSS
// every 250 ms) of each process as deployed, under bench/support/memory-load.ts (40 calls of
// 1,000 events, then the load drill's events-and-webhooks mix).
//   memory-web, memory-worker: `cli.ts serve` and `cli.ts worker` as separate processes on server
//     Postgres, each < 300 MB.
//   memory-embedded: `npm start` (web and worker in one process) on the embedded database in a
//     fresh DATA_DIR, first start included, < 500 MB; `npm run cli -- demo` runs against it first.
// Each process is started the way its npm script starts it (same Node flags). MEMORY_DRILL_SECONDS
// sets the drill's length (default 60); the RSS slope after warm-up is reported in MB an hour.
// MEMORY_HEAP_SNAPSHOT_DIR=<folder> has each process write a V8 heap snapshot there at the end of
// the drill (--heapsnapshot-signal), to find what holds its JavaScript heap.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { migrate } from '../src/db/migrate.ts';
import { saveInstallation } from '../src/db/repositories/stores.ts';
import { createSecretBox } from '../src/security/secret-box.ts';
import { createStore } from '../src/stores/create-store.ts';
import { API_KEY, API_SECRET, SHOP } from '../test/fixtures/shopify/kit.ts';
import { freePort } from '../test/helpers/free-port.ts';
import type { Benchmark, BenchResult } from './types.ts';
import { createBenchDatabase } from './support/database.ts';
import { positiveInt } from './support/env.ts';
import { burst, drill } from './support/memory-load.ts';
import { MB, mb, rssAt, sampleRss, type RssSampler, type RssSummary } from './support/rss-sampler.ts';

const ROOT = join(import.meta.dirname, '..');
const SERVER_LIMIT = 300 * MB;
const EMBEDDED_LIMIT = 500 * MB;
const SETTLE_MS = 3_000;

/** The Node flags `npm start`, `npm run serve` and `npm run worker` give (package.json scripts). */
async function scriptFlags(script: string): Promise<string[]> {
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const words = (pkg.scripts[script] ?? '').split(/\s+/);
  return words.slice(1).filter((w) => w.startsWith('--'));
}

type Proc = { child: ChildProcess; pid: number; output(): string; stop(): Promise<void> };

async function launch(script: string, args: string[], env: Record<string, string>): Promise<Proc> {
  const snapshots = process.env.MEMORY_HEAP_SNAPSHOT_DIR;
  const diagnostic = snapshots ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${snapshots}`] : [];
  const child = spawn(process.execPath, [...(await scriptFlags(script)), ...diagnostic, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-20_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    pid: child.pid!,
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function waitHealthy(proc: Proc, url: string): Promise<void> {
  const deadline = Date.now() + 300_000;
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`the process exited while starting:\n${proc.output()}`);
    if (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) return;
    if (Date.now() > deadline) throw new Error(`no answer on ${url}/healthz:\n${proc.output()}`);
    await sleep(200);
  }
}

/** Asks each process for a heap snapshot when MEMORY_HEAP_SNAPSHOT_DIR is set; writing one takes seconds. */
async function snapshot(procs: Proc[]): Promise<void> {
  if (!process.env.MEMORY_HEAP_SNAPSHOT_DIR) return;
  for (const p of procs) p.child.kill('SIGUSR2');
  await sleep(20_000);
}

type Phases = { idle: number; burstEnd: number; drillEnd: number };
type Load = { burstEvents: number; burstSeconds: number; drillEvents: number; drillWebhooks: number; drillSeconds: number; failures: number };

async function drive(url: string, privateKey: string, seconds: number, t0: number): Promise<{ load: Load; phases: Phases }> {
  await sleep(SETTLE_MS);
  const idle = Date.now() - t0;
  const b = await burst(url, privateKey);
  const burstEnd = Date.now() - t0;
  const d = await drill(url, privateKey, seconds);
  const drillEnd = Date.now() - t0;
  return {
    load: { burstEvents: b.events, burstSeconds: b.seconds, drillEvents: d.events, drillWebhooks: d.webhooks, drillSeconds: d.seconds, failures: b.failures + d.failures },
    phases: { idle, burstEnd, drillEnd },
  };
}

function row(label: string, summary: RssSummary, limit: number, phases: Phases, load: Load, extra: Record<string, number | string>): BenchResult {
  const { samples } = summary;
  return {
    name: `${label}: peak RSS`,
    value: mb(summary.peak),
    unit: 'MB',
    limit: { name: 'gate', value: mb(limit) },
    ratio: summary.peak / limit,
    target: 1,
    better: 'lower',
    details: {
      ...extra,
      rssIdleMB: mb(rssAt(samples, phases.idle)),
      rssAfterBurstMB: mb(rssAt(samples, phases.burstEnd)),
      rssAfterDrillMB: mb(rssAt(samples, phases.drillEnd)),
      peakVmHwmMB: mb(summary.peak),
      peakReachedAtSeconds: Number(((samples.find((x) => x.hwm >= summary.peak)?.atMs ?? 0) / 1000).toFixed(1)),
      idleAtSeconds: Number((phases.idle / 1000).toFixed(1)),
      burstEndAtSeconds: Number((phases.burstEnd / 1000).toFixed(1)),
      drillEndAtSeconds: Number((phases.drillEnd / 1000).toFixed(1)),
      rssSlopeMBPerHour: Number((summary.slopePerHour / MB).toFixed(1)),
      samples: samples.length,
      burstEvents: load.burstEvents,
      burstSeconds: Number(load.burstSeconds.toFixed(1)),
      drillEvents: load.drillEvents,
      drillWebhooks: load.drillWebhooks,
      drillSeconds: Number(load.drillSeconds.toFixed(1)),
      failedCalls: load.failures,
    },
  };
}

const appEnv = (dataDir: string, key: Buffer, port: number) => ({
  DATA_DIR: dataDir,
  ENCRYPTION_KEY: key.toString('base64'),
  LOG_LEVEL: 'warn',
  PORT: String(port),
  APP_URL: `http://127.0.0.1:${port}`,
  SHOPIFY_API_KEY: API_KEY,
  SHOPIFY_API_SECRET: API_SECRET,
  API_RATE_LIMIT: '100000000',
});

async function seedStores(pool: pg.Pool, key: Buffer): Promise<string> {
  const secrets = createSecretBox(key);
  const custom = await createStore(pool, secrets, { platform: 'custom', domain: 'memory-drill.example.com' });
  const shop = await createStore(pool, secrets, { platform: 'shopify', domain: SHOP });
  await saveInstallation(pool, shop.store.id, { accessTokenSealed: secrets.seal('shpat_memory_drill'), scopes: [] });
  return custom.privateKey;
}

let serverRun: Promise<[BenchResult, BenchResult]> | undefined;

async function runServer(): Promise<[BenchResult, BenchResult]> {
  const seconds = positiveInt('MEMORY_DRILL_SECONDS', 60);
  const db = await createBenchDatabase('memory');
  const dataDir = await mkdtemp(join(tmpdir(), 'storeflow-memory-'));
  const key = randomBytes(32);
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  const procs: Proc[] = [];
  const samplers: RssSampler[] = [];
  try {
    await migrate(pool);
    const privateKey = await seedStores(pool, key);
    const port = await freePort();
    const env = { ...appEnv(dataDir, key, port), DATABASE_URL: db.url };
    const t0 = Date.now();
    const web = await launch('serve', [join(ROOT, 'src', 'cli.ts'), 'serve'], env);
    const worker = await launch('worker', [join(ROOT, 'src', 'cli.ts'), 'worker'], env);
    procs.push(web, worker);
    samplers.push(sampleRss(web.pid), sampleRss(worker.pid));
    const url = `http://127.0.0.1:${port}`;
    await waitHealthy(web, url);
    const { load, phases } = await drive(url, privateKey, seconds, t0);
    await sleep(SETTLE_MS); // the worker drains what the drill queued
    const [w, k] = await Promise.all(samplers.map((s) => s.stop()));
    await snapshot(procs);
    const { rows } = await pool.query<{ pending: number }>("SELECT count(*)::int AS pending FROM webhook_inbox WHERE processed_at IS NULL");
    const common = { database: 'server Postgres' };
    return [
      row('memory: web process (server Postgres)', w!, SERVER_LIMIT, phases, load, { ...common, command: 'npm run serve' }),
      row('memory: worker process (server Postgres)', k!, SERVER_LIMIT, phases, load, { ...common, command: 'npm run worker', inboxPendingAtEnd: rows[0]?.pending ?? -1 }),
    ];
  } finally {
    for (const s of samplers) await s.stop();
    for (const p of procs) await p.stop();
    await pool.end();
    await rm(dataDir, { recursive: true, force: true });
    await db.drop().catch((err: unknown) => console.error(`could not drop ${db.name}: ${String(err)}`));
  }
}

async function runEmbedded(): Promise<BenchResult> {
  const seconds = positiveInt('MEMORY_DRILL_SECONDS', 60);
  const dataDir = await mkdtemp(join(tmpdir(), 'sf-mem-'));
  const key = randomBytes(32);
  const port = await freePort();
  const env = appEnv(dataDir, key, port);
  let app: Proc | undefined;
  let sampler: RssSampler | undefined;
  let pool: pg.Pool | undefined;
  try {
    const t0 = Date.now();
    app = await launch('start', [join(ROOT, 'src', 'main.ts')], env);
    sampler = sampleRss(app.pid);
    const url = `http://127.0.0.1:${port}`;
    await waitHealthy(app, url);
    const startedMs = Date.now() - t0;
    const demo = await launch('cli', [join(ROOT, 'src', 'cli.ts'), 'demo'], env);
    await new Promise<void>((resolve) => (demo.child.exitCode !== null ? resolve() : demo.child.once('exit', () => resolve())));
    if (demo.child.exitCode !== 0) throw new Error(`npm run cli -- demo failed:\n${demo.output()}`);
    const afterDemo = Date.now() - t0;
    const { url: dbUrl } = JSON.parse(await readFile(join(dataDir, 'embedded-db.json'), 'utf8')) as { url: string };
    pool = new pg.Pool({ connectionString: dbUrl, max: 1 });
    const privateKey = await seedStores(pool, key);
    const { load, phases } = await drive(url, privateKey, seconds, t0);
    const summary = await sampler.stop();
    await snapshot([app]);
    return row('memory: npm start (embedded database)', summary, EMBEDDED_LIMIT, phases, load, {
      database: 'embedded (PGlite), fresh DATA_DIR',
      command: 'npm start',
      rssStartedMB: mb(rssAt(summary.samples, startedMs)),
      rssAfterDemoMB: mb(rssAt(summary.samples, afterDemo)),
      startSeconds: Number((startedMs / 1000).toFixed(1)),
    });
  } finally {
    await sampler?.stop();
    await pool?.end();
    await app?.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const server = (i: 0 | 1) => async () => {
  serverRun ??= runServer();
  return (await serverRun)[i];
};

export const memoryWebBench: Benchmark = { id: 'memory-web', run: server(0) };
export const memoryWorkerBench: Benchmark = { id: 'memory-worker', run: server(1) };
export const memoryEmbeddedBench: Benchmark = { id: 'memory-embedded', run: runEmbedded };
