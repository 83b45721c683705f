// The flow engine's process-level guarantees with real worker processes (`cli.ts worker`) on one
// Postgres database: several workers share a batch without doubling anything, and a worker
// killed with SIGKILL mid-batch leaves nothing that a fresh worker cannot finish exactly once.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { killWorkerProcess, startWorkerProcess, type WorkerProcess } from './helpers/spawn.ts';
import { createStore } from '../src/stores/create-store.ts';
import { createApp } from '../src/web/app.ts';
import { ingestEvents } from '../src/ingest/ingest-events.ts';
import type { EventInput } from '../src/model/event.ts';
import type { StoreId } from '../src/model/ids.ts';

type Progress = {
  runs: number;
  completed: number;
  leased: number;
  messages: number;
  dedupeKeys: number;
  runsMessaged: number;
  sent: number;
  sending: number;
  failed: number;
  retried: number;
  outbox: number;
};

describe('flow workers as separate processes', () => {
  let rt: TestRuntime;
  let app: ReturnType<typeof createApp>;
  let auth: { Authorization: string };
  let storeId: StoreId;
  const workers: WorkerProcess[] = [];

  const spawnWorker = (): WorkerProcess => {
    const w = startWorkerProcess({
      DATABASE_URL: rt.config.databaseUrl!,
      ENCRYPTION_KEY: rt.config.encryptionKey!.toString('base64'),
      DATA_DIR: rt.dataDir,
      LOG_LEVEL: 'warn',
      // What a killed worker held (leased runs, job locks, an outbox batch) is taken over after this
      // instead of the production default of 120 s; a 500-run tick still fits in it several times.
      FLOW_LEASE_SECONDS: '5',
    });
    workers.push(w);
    return w;
  };

  const createFlow = async (metric: string): Promise<string> => {
    const res = await request(app)
      .post('/api/v1/flows')
      .set(auth)
      .send({
        name: metric,
        status: 'live',
        trigger: { type: 'metric', metric },
        smartSending: { enabled: false },
        start: 'mail',
        steps: [{ id: 'mail', type: 'email', subject: 'Hello {{ profile.email }}', html: '<p>Thanks for stopping by</p>' }],
      });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return (res.body as { id: string }).id;
  };

  const sendEvents = async (metric: string, count: number): Promise<void> => {
    const now = new Date();
    const events: EventInput[] = Array.from({ length: count }, (_, i) => ({
      metric,
      profile: { email: `${metric.toLowerCase().replaceAll(' ', '-')}-${i}@example.com` },
      time: now,
      value: null,
      properties: {},
      items: [],
      uniqueId: `${metric}-${i}`,
    }));
    for (let i = 0; i < events.length; i += 1000) await ingestEvents(rt.db.pool, storeId, events.slice(i, i + 1000));
  };

  const progress = async (flowId: string): Promise<Progress> => {
    const { rows } = await rt.db.pool.query<Progress>(
      `SELECT
         (SELECT count(*)::int FROM flow_runs WHERE flow_id = $1) AS runs,
         (SELECT count(*)::int FROM flow_runs WHERE flow_id = $1 AND status = 'completed') AS completed,
         (SELECT count(*)::int FROM flow_runs WHERE flow_id = $1 AND lease_until IS NOT NULL) AS leased,
         count(*)::int AS messages,
         count(DISTINCT dedupe_key)::int AS "dedupeKeys",
         count(DISTINCT run_id)::int AS "runsMessaged",
         count(*) FILTER (WHERE status = 'sent')::int AS sent,
         count(*) FILTER (WHERE status = 'sending')::int AS sending,
         count(*) FILTER (WHERE status = 'failed')::int AS failed,
         count(*) FILTER (WHERE attempts > 1)::int AS retried,
         count(*) FILTER (WHERE provider = 'outbox')::int AS outbox
       FROM messages WHERE flow_id = $1`,
      [flowId],
    );
    return rows[0]!;
  };

  /** Polls until `done` holds; the timeout is generous because it only bounds a failure. */
  const waitFor = async (flowId: string, done: (p: Progress) => boolean, what: string, timeoutMs = 90_000): Promise<Progress> => {
    const deadline = Date.now() + timeoutMs;
    let p = await progress(flowId);
    while (!done(p)) {
      if (Date.now() > deadline) {
        assert.fail(`timed out waiting for ${what}: ${JSON.stringify(p)}\n${workers.map((w) => w.output()).join('\n').slice(-4000)}`);
      }
      await sleep(25);
      p = await progress(flowId);
    }
    return p;
  };

  const allDone = (n: number) => (p: Progress) => p.completed === n && p.sent === n;

  const stopAll = async (): Promise<void> => {
    await Promise.all(workers.map(killWorkerProcess));
  };

  before(async () => {
    // Should the runner itself be torn down before `after`, no worker outlives it.
    process.once('exit', () => {
      for (const w of workers) w.child.kill('SIGKILL');
    });
    rt = await testRuntime();
    const created = await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: 'workers.example.com' });
    storeId = created.store.id;
    auth = { Authorization: `Bearer ${created.privateKey}` };
    app = createApp(rt);
  });

  after(async () => {
    await stopAll();
    await rt.dispose();
  });

  test('two workers finish 2,000 runs with every message created once and sent once', async () => {
    const total = 2000;
    const flowId = await createFlow('Two Workers');
    spawnWorker();
    spawnWorker();
    await sendEvents('Two Workers', total);

    const p = await waitFor(flowId, allDone(total), 'both workers to finish the batch');
    assert.equal(p.runs, total, 'one run per profile');
    assert.equal(p.messages, total, 'one message per run');
    assert.equal(p.dedupeKeys, total);
    assert.equal(p.runsMessaged, total);
    assert.equal(p.sending + p.failed, 0);
    assert.equal(p.outbox, total, 'delivered through the outbox');
    assert.equal(p.retried, 0, 'no message was claimed for delivery twice');
    for (const w of workers) assert.equal(w.child.exitCode, null, `a worker died:\n${w.output()}`);
    await stopAll();
  });

  test('a worker killed with SIGKILL mid-batch: a fresh worker finishes the rest exactly once', async () => {
    const total = 6000;
    const flowId = await createFlow('Killed Worker');
    const first = spawnWorker();
    await sendEvents('Killed Worker', total);

    // Some runs are done and others still leased by the worker: it dies in the middle of its batch.
    await waitFor(flowId, (p) => p.completed > 0 && p.leased > 0, 'the first worker to be mid-batch');
    first.child.kill('SIGKILL');
    await first.exited;
    const left = await progress(flowId);
    assert.ok(left.completed < total, `the kill came before the end: ${JSON.stringify(left)}`);

    spawnWorker();
    const p = await waitFor(flowId, allDone(total), 'a fresh worker to finish what the killed one left');
    assert.equal(p.runs, total);
    assert.equal(p.messages, total, 'no run made a second message');
    assert.equal(p.dedupeKeys, total);
    assert.equal(p.runsMessaged, total, 'no run was lost');
    assert.equal(p.sending + p.failed, 0, 'a batch the killed worker was delivering is delivered, not failed');
    assert.equal(p.outbox, total);
  });
});
