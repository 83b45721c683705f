// Webhook steps end to end: a flow with a webhook step calls a receiver on 127.0.0.1 (loopback
// allowed by setting), signed with the store's own secret, and the run goes on once the call
// returns. Calls are queued outside the flow tick: a receiver slower than the lease delays only
// its own runs, gets exactly one call per run, and never more than the per-host bound at once.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { createApp } from '../src/web/app.ts';
import { createStore } from '../src/stores/create-store.ts';
import { viewSigningSecret } from '../src/stores/signing-secret.ts';
import { startWorker, type Worker } from '../src/jobs/worker.ts';
import { ingestEvents } from '../src/ingest/ingest-events.ts';
import { processTriggerQueue } from '../src/flows/enter-flows.ts';
import { runFlowTick } from '../src/flows/tick.ts';
import { createOutboundPump, PER_HOST_CONCURRENCY } from '../src/flows/outbound-delivery.ts';
import { WEBHOOK_MAX_ATTEMPTS } from '../src/flows/outbound-webhook.ts';
import type { StoreId } from '../src/model/ids.ts';

type Call = { key: string; signature: string; body: string; json: { runId: string; stepId: string; profile: { email: string } } };

/** A receiver that records each call; `hold` keeps answers back until `release()`. */
async function receiver(opts: { hold?: boolean; status?: number } = {}) {
  const calls: Call[] = [];
  let open = 0;
  let maxOpen = 0;
  let gate: (() => void) | null = null;
  let gated = Boolean(opts.hold);
  const released = new Promise<void>((resolve) => (gate = resolve));
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      calls.push({ key: String(req.headers['idempotency-key']), signature: String(req.headers['x-storeflow-signature']), body, json: JSON.parse(body) as Call['json'] });
      open++;
      maxOpen = Math.max(maxOpen, open);
      if (gated) await released;
      open--;
      res.writeHead(opts.status ?? 200, { 'Content-Type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    calls,
    port: (server.address() as AddressInfo).port,
    maxOpen: () => maxOpen,
    open: () => open,
    release() {
      gated = false;
      gate!();
    },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** The check docs/webhooks.md shows a receiver: HMAC-SHA256 of "t.body", compared in constant time. */
function verifies(header: string, body: string, secret: string): boolean {
  const parts = header.split(',').map((p) => p.split('=', 2) as [string, string]);
  const t = parts.find(([k]) => k === 't')?.[1];
  if (!t) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return parts.filter(([k]) => k === 'v1').some(([, v]) => {
    const given = Buffer.from(v, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const hookFlow = (metric: string, url: string) => ({
  name: metric,
  status: 'live',
  trigger: { type: 'metric', metric },
  start: 'hook',
  steps: [
    { id: 'hook', type: 'webhook', url, next: 'mark' },
    { id: 'mark', type: 'update-profile', set: { crmNotified: true } },
  ],
});

async function sendEvents(rt: TestRuntime, storeId: StoreId, metric: string, count: number, prefix: string): Promise<void> {
  await ingestEvents(rt.db.pool, storeId, Array.from({ length: count }, (_, i) => ({
    metric, profile: { email: `${prefix}-${i}@example.com` }, time: new Date(), value: null, properties: { OrderId: `${prefix}-${i}` }, items: [], uniqueId: `${prefix}-${i}`,
  })));
}

async function runs(rt: TestRuntime, storeId: StoreId): Promise<{ total: number; completed: number; notified: number }> {
  const { rows } = await rt.db.pool.query<{ total: number; completed: number; notified: number }>(
    `SELECT count(*)::int AS total, count(*) FILTER (WHERE r.status = 'completed')::int AS completed,
       count(*) FILTER (WHERE p.properties->>'crmNotified' = 'true')::int AS notified
     FROM flow_runs r JOIN profiles p ON p.store_id = r.store_id AND p.id = r.profile_id WHERE r.store_id = $1`,
    [storeId],
  );
  return rows[0]!;
}

describe('webhook steps through the outbound queue', () => {
  let slow: Awaited<ReturnType<typeof receiver>>;
  let fast: Awaited<ReturnType<typeof receiver>>;
  let rt: TestRuntime;
  const workers: Worker[] = [];

  before(async () => {
    slow = await receiver({ hold: true });
    fast = await receiver();
    rt = await testRuntime({
      env: {
        OUTBOUND_ALLOW_PRIVATE: 'loopback',
        OUTBOUND_ALLOWED_PORTS: `${slow.port},${fast.port}`,
        // The slow receiver holds its answers well past this: a batch of runs would lose its lease.
        FLOW_LEASE_SECONDS: '2',
      },
    });
  });
  after(async () => {
    slow.release();
    for (const w of workers) await w.stop();
    await Promise.all([slow.close(), fast.close()]);
    await rt.dispose();
  });

  test('a receiver slower than the lease delays only its own runs, gets one call per run, and the runs go on when it answers', async () => {
    const app = createApp(rt);
    const a = await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: 'slow-hooks.example' });
    const b = await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: 'fast-hooks.example' });
    for (const [s, url] of [[a, `http://127.0.0.1:${slow.port}/hook`], [b, `http://127.0.0.1:${fast.port}/hook`]] as const) {
      const res = await request(app).post('/api/v1/flows').set({ Authorization: `Bearer ${s.privateKey}` }).send(hookFlow('Placed Order', url));
      assert.equal(res.status, 201, JSON.stringify(res.body));
    }
    await sendEvents(rt, a.store.id, 'Placed Order', 16, 'slow');
    await sendEvents(rt, b.store.id, 'Placed Order', 16, 'fast');
    // Two workers, as in production, racing over the same ticks and calls.
    for (let i = 0; i < 2; i++) workers.push(await startWorker(rt, { processEvery: 100, lockLifetimeMs: 2000 }));

    await until('the other store\'s 16 runs to complete', async () => (await runs(rt, b.store.id)).completed === 16);
    assert.deepEqual(await runs(rt, b.store.id), { total: 16, completed: 16, notified: 16 });
    await until('the slow receiver to hold its per-host share of calls', () => slow.open() === PER_HOST_CONCURRENCY);
    assert.equal((await runs(rt, a.store.id)).completed, 0, 'the slow store\'s runs wait on their calls');

    // Hold every answer past the flow lease and the job locks: nothing is called twice meanwhile.
    await sleep(2_500);
    assert.equal(slow.calls.length, PER_HOST_CONCURRENCY);

    slow.release();
    await until('the slow store\'s runs to complete', async () => (await runs(rt, a.store.id)).completed === 16);
    assert.deepEqual(await runs(rt, a.store.id), { total: 16, completed: 16, notified: 16 });
    assert.equal(slow.calls.length, 16, 'exactly one call per run');
    assert.equal(new Set(slow.calls.map((c) => c.key)).size, 16);
    assert.equal(new Set(slow.calls.map((c) => c.json.runId)).size, 16);
    assert.ok(slow.maxOpen() <= PER_HOST_CONCURRENCY, `at most ${PER_HOST_CONCURRENCY} calls in flight to one host, saw ${slow.maxOpen()}`);
    assert.equal(fast.calls.length, 16);

    // Each store signs with its own secret; the idempotency key is the run's step visit.
    const secretA = (await viewSigningSecret(rt.db.pool, rt.secrets, a.store.id)).secret;
    const secretB = (await viewSigningSecret(rt.db.pool, rt.secrets, b.store.id)).secret;
    assert.notEqual(secretA, secretB);
    for (const c of slow.calls) {
      assert.ok(verifies(c.signature, c.body, secretA), 'signed with the store\'s secret');
      assert.ok(!verifies(c.signature, c.body, secretB), 'and not with another store\'s');
      assert.equal(c.key, `${c.json.runId}:hook:0`);
      assert.match(c.json.profile.email, /^slow-\d+@example\.com$/);
    }
    for (const c of fast.calls) assert.ok(verifies(c.signature, c.body, secretB));
    const { rows } = await rt.db.pool.query<{ status: string; attempts: number; n: number }>(
      'SELECT status, attempts, count(*)::int AS n FROM outbound_calls WHERE store_id = $1 GROUP BY status, attempts',
      [a.store.id],
    );
    assert.deepEqual(rows, [{ status: 'delivered', attempts: 1, n: 16 }]);
  });
});

describe('a receiver that keeps failing', () => {
  let rt: TestRuntime;
  let failing: Awaited<ReturnType<typeof receiver>>;
  before(async () => {
    failing = await receiver({ status: 503 });
    rt = await testRuntime({ env: { OUTBOUND_ALLOW_PRIVATE: 'loopback', OUTBOUND_ALLOWED_PORTS: String(failing.port) } });
  });
  after(async () => {
    await failing.close();
    await rt.dispose();
  });

  test(`is retried with backoff up to ${WEBHOOK_MAX_ATTEMPTS} attempts under one key, then the run goes on with the step failed`, async () => {
    const app = createApp(rt);
    const s = await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: 'failing-hooks.example' });
    const res = await request(app).post('/api/v1/flows').set({ Authorization: `Bearer ${s.privateKey}` }).send(hookFlow('Signed Up', `http://127.0.0.1:${failing.port}/hook`));
    assert.equal(res.status, 201);
    await sendEvents(rt, s.store.id, 'Signed Up', 1, 'retry');
    let now = new Date();
    const pump = createOutboundPump({ pool: rt.db.pool, secrets: rt.secrets, rules: rt.config.outbound, now: () => now });
    const tick = () => runFlowTick({ pool: rt.db.pool, config: rt.config, secrets: rt.secrets, logger: rt.logger }, { now });
    await processTriggerQueue(rt.db.pool, { now });
    await tick();
    const gaps: number[] = [];
    for (let attempt = 1; attempt <= WEBHOOK_MAX_ATTEMPTS; attempt++) {
      assert.equal(await pump.run(), 1, `attempt ${attempt} starts`);
      await pump.idle();
      assert.equal(await pump.run(), 0, 'nothing is due again before the backoff');
      const { rows } = await rt.db.pool.query<{ next: Date; status: string }>('SELECT next_attempt_at AS next, status FROM outbound_calls');
      if (rows[0]!.status === 'queued') gaps.push(rows[0]!.next.getTime() - now.getTime());
      now = new Date(rows[0]!.next.getTime() + 1);
    }
    assert.deepEqual(gaps, [30_000, 60_000, 120_000, 240_000], 'backing off between attempts');
    assert.equal(failing.calls.length, WEBHOOK_MAX_ATTEMPTS);
    assert.equal(new Set(failing.calls.map((c) => c.key)).size, 1, 'every attempt carries the same idempotency key');
    await tick();
    const { rows } = await rt.db.pool.query<{ status: string; outcome: string }>(
      `SELECT r.status, l.outcome FROM flow_runs r JOIN flow_run_steps l ON l.store_id = r.store_id AND l.run_id = r.id AND l.step_id = 'hook'`,
    );
    assert.deepEqual(rows, [{ status: 'completed', outcome: `failed: gave up after ${WEBHOOK_MAX_ATTEMPTS} attempts: HTTP 503` }]);
  });
});
