// Load drill: autocannon on loopback against a separate web process (`cli.ts serve`) for a
// sustained minute, at the rate the flow benchmark drives (about 500 events/s), on two
// endpoints at once: POST /api/v1/events (10 events a call, unique ids) and POST /webhooks/shopify
// (signed, a new delivery id each call). It holds when no answer is a 5xx or a transport error,
// every event the API accepted is in the database (and nothing else), every webhook it queued is
// one inbox row, and the web process's resident memory levels off instead of climbing.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon, { type Result } from 'autocannon';
import pg from 'pg';
import { migrate } from '../src/db/migrate.ts';
import { saveInstallation } from '../src/db/repositories/stores.ts';
import { createSecretBox } from '../src/security/secret-box.ts';
import { createStore } from '../src/stores/create-store.ts';
import { API_KEY, API_SECRET, SHOP, fixture, signedDelivery } from '../test/fixtures/shopify/kit.ts';
import type { Benchmark, BenchResult } from './types.ts';
import { createBenchDatabase, type BenchDatabase } from './support/database.ts';
import { positiveInt } from './support/env.ts';
import { freePort } from '../test/helpers/free-port.ts';

const ROOT = join(import.meta.dirname, '..');
const EVENTS_PER_CALL = 10;
/** 50 calls/s × 10 events: the flow benchmark's ~500 events/s. */
const EVENT_CALLS_PER_SECOND = 50;
const WEBHOOKS_PER_SECOND = 50;
const CONNECTIONS = 10;
/** RSS may grow this much from the second quarter of the run to the last before it counts as a climb. */
const RSS_GROWTH_LIMIT = 0.25;
/** Stored / offered: the web process must keep up with the offered rate, not merely survive it. */
const TARGET_RATIO = 0.95;

/** Resident set size of another process, from /proc (Linux), in bytes; 0 where unavailable. */
async function rssOf(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : 0;
};
const mb = (bytes: number): number => Math.round(bytes / 1024 / 1024);

type Web = { child: ChildProcess; url: string; output: () => string; stop(): Promise<void> };

async function startWeb(env: Record<string, string>): Promise<Web> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(ROOT, 'src', 'cli.ts'), 'serve'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env, PORT: String(port) },
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  child.stderr.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the web process exited:\n${out}`);
    const ok = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`the web process did not answer /healthz:\n${out}`);
    await sleep(200);
  }
  return {
    child,
    url,
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

async function run(): Promise<BenchResult> {
  const seconds = positiveInt('LOAD_DRILL_SECONDS', 60);
  const db: BenchDatabase = await createBenchDatabase('load');
  const dataDir = await mkdtemp(join(tmpdir(), 'storeflow-load-'));
  const key = randomBytes(32);
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  let web: Web | undefined;
  try {
    await migrate(pool);
    const secrets = createSecretBox(key);
    const custom = await createStore(pool, secrets, { platform: 'custom', domain: 'load-drill.example.com' });
    const shop = await createStore(pool, secrets, { platform: 'shopify', domain: SHOP });
    await saveInstallation(pool, shop.store.id, { accessTokenSealed: secrets.seal('shpat_load_drill'), scopes: [] });

    web = await startWeb({
      DATABASE_URL: db.url,
      DATA_DIR: dataDir,
      ENCRYPTION_KEY: key.toString('base64'),
      LOG_LEVEL: 'warn',
      SHOPIFY_API_KEY: API_KEY,
      SHOPIFY_API_SECRET: API_SECRET,
      // The per-key guard (600 calls a minute by default) would answer 429 long before the rate
      // under test; the drill measures what the process and database sustain.
      API_RATE_LIMIT: '100000000',
    });
    const pid = web.child.pid!;

    let accepted = 0;
    let duplicates = 0;
    let queued = 0;
    let call = 0;
    const order = fixture('orders-create');
    const samples: number[] = [];
    const sampler = setInterval(() => void rssOf(pid).then((r) => r && samples.push(r)), 1000);
    const rssBefore = await rssOf(pid);

    const runId = randomBytes(4).toString('hex');
    const eventsLoad = autocannon({
      url: web.url,
      connections: CONNECTIONS,
      overallRate: EVENT_CALLS_PER_SECOND,
      // A fixed amount rather than a duration: autocannon then waits for every answer, so each
      // call the app took is counted (with a duration, calls in flight at the end go uncounted).
      amount: EVENT_CALLS_PER_SECOND * seconds,
      timeout: 10,
      requests: [
        {
          method: 'POST',
          path: '/api/v1/events',
          setupRequest: (req) => {
            const n = call++;
            const events = Array.from({ length: EVENTS_PER_CALL }, (_, i) => ({
              metric: 'Viewed Product',
              profile: { email: `shopper-${(n * EVENTS_PER_CALL + i) % 5000}@example.com` },
              properties: { ProductID: `p-${i}`, Price: 19.5, Name: '<b>Linen</b> "Shirt"' },
              uniqueId: `${runId}-${n}-${i}`,
            }));
            return { ...req, headers: { 'content-type': 'application/json', authorization: `Bearer ${custom.privateKey}` }, body: JSON.stringify({ events }) };
          },
          onResponse: (status, body) => {
            if (status !== 202) return;
            const r = JSON.parse(body) as { accepted: number; duplicates: number };
            accepted += r.accepted;
            duplicates += r.duplicates;
          },
        },
      ],
    });
    const webhookLoad = autocannon({
      url: web.url,
      connections: CONNECTIONS,
      overallRate: WEBHOOKS_PER_SECOND,
      amount: WEBHOOKS_PER_SECOND * seconds,
      timeout: 10,
      requests: [
        {
          method: 'POST',
          path: '/webhooks/shopify',
          setupRequest: (req) => {
            const d = signedDelivery('orders/create', { ...order, id: Number(`9${Date.now() % 1e9}`), name: `#${randomUUID().slice(0, 8)}` });
            const headers: Record<string, string> = { 'content-type': 'application/json' };
            for (const [k, v] of Object.entries(d.headers)) if (typeof v === 'string') headers[k] = v;
            return { ...req, headers, body: d.rawBody };
          },
          onResponse: (status, body) => {
            if (status === 200 && (JSON.parse(body) as { status: string }).status === 'queued') queued++;
          },
        },
      ],
    });
    const started = process.hrtime.bigint();
    const [events, hooks] = (await Promise.all([eventsLoad, webhookLoad])) as [Result, Result];
    const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
    clearInterval(sampler);
    const rssAfter = await rssOf(pid);

    const { rows } = await pool.query<{ events: number; inbox: number }>(
      'SELECT (SELECT count(*) FROM events WHERE store_id = $1)::int AS events, (SELECT count(*) FROM webhook_inbox WHERE store_id = $2)::int AS inbox',
      [custom.store.id, shop.store.id],
    );
    const stored = rows[0]!;

    const violations: string[] = [];
    const fivexx = events['5xx'] + hooks['5xx'];
    if (fivexx > 0) violations.push(`${fivexx} 5xx answers`);
    const transport = events.errors + hooks.errors + events.timeouts + hooks.timeouts;
    if (transport > 0) violations.push(`${transport} transport errors or timeouts`);
    if (events.non2xx + hooks.non2xx > 0) violations.push(`${events.non2xx + hooks.non2xx} non-2xx answers`);
    if (stored.events !== accepted) violations.push(`${accepted} events accepted but ${stored.events} stored`);
    if (duplicates !== 0) violations.push(`${duplicates} unique ids reported as duplicates`);
    if (stored.inbox !== queued) violations.push(`${queued} webhooks queued but ${stored.inbox} inbox rows`);
    // Memory: the second quarter (after warm-up) against the last quarter.
    const q = Math.max(1, Math.floor(samples.length / 4));
    const warm = median(samples.slice(q, 2 * q));
    const late = median(samples.slice(-q));
    const growth = warm > 0 ? (late - warm) / warm : 0;
    if (growth > RSS_GROWTH_LIMIT) violations.push(`RSS climbed ${(growth * 100).toFixed(0)}% from ${mb(warm)} MB to ${mb(late)} MB`);
    if (web.child.exitCode !== null) violations.push('the web process exited');

    const offered = EVENT_CALLS_PER_SECOND * EVENTS_PER_CALL;
    const rate = stored.events / elapsed;
    return {
      name: `load drill: events stored/s (${seconds} s, with webhooks)`,
      value: rate,
      unit: 'events/s',
      limit: { name: 'offered rate', value: offered },
      // A broken invariant fails the drill however fast it ran.
      ratio: violations.length ? 0 : rate / offered,
      target: TARGET_RATIO,
      details: {
        verdict: violations.length ? violations.join('; ') : 'no 5xx, no lost event, memory level',
        seconds: Number(elapsed.toFixed(1)),
        eventCallsPerSecondOffered: EVENT_CALLS_PER_SECOND,
        eventsPerCall: EVENTS_PER_CALL,
        webhooksPerSecondOffered: WEBHOOKS_PER_SECOND,
        connectionsPerEndpoint: CONNECTIONS,
        eventCalls: events.requests.total,
        eventCalls2xx: events['2xx'],
        eventCalls4xx: events['4xx'],
        eventCalls5xx: events['5xx'],
        eventsAccepted: accepted,
        eventsStored: stored.events,
        eventsLatencyP50Ms: events.latency.p50,
        eventsLatencyP99Ms: events.latency.p99,
        webhookCalls: hooks.requests.total,
        webhooks2xx: hooks['2xx'],
        webhooks4xx: hooks['4xx'],
        webhooks5xx: hooks['5xx'],
        webhooksQueued: queued,
        inboxRows: stored.inbox,
        webhookLatencyP50Ms: hooks.latency.p50,
        webhookLatencyP99Ms: hooks.latency.p99,
        webhooksPerSecond: Number((hooks['2xx'] / elapsed).toFixed(1)),
        transportErrors: transport,
        webRssBeforeMB: mb(rssBefore),
        webRssWarmMB: mb(warm),
        webRssLateMB: mb(late),
        webRssMaxMB: mb(Math.max(0, ...samples)),
        webRssAfterMB: mb(rssAfter),
        webRssGrowthPct: Number((growth * 100).toFixed(1)),
        webRssGrowthLimitPct: RSS_GROWTH_LIMIT * 100,
      },
    };
  } finally {
    await web?.stop();
    await pool.end();
    await rm(dataDir, { recursive: true, force: true });
    await db.drop().catch((err: unknown) => console.error(`could not drop ${db.name}: ${String(err)}`));
  }
}

export const loadDrillBench: Benchmark = { id: 'load-drill', run };
