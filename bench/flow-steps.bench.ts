// Flow steps per second: 100,000 runs of delay → split → email (outbox) driven by two worker
// processes on one database. Beside it, on byte-identical copies of that database:
//   limit      the same durable writes as one set-based statement per phase on one connection
//              (support/set-based-raw.ts): the fastest honest way to leave the same rows
//   batched    two processes making the same writes as plain SQL in the engine's batches of 500
//              (support/raw-tick-child.ts: lease, then messages, step rows and run update in one
//              transaction), the row-by-batch reference the engine's own shape allows
// The ratio to the limit is what the engine (leases, fact reads, orchestration, Liquid rendering,
// message validation, batching) costs on top of the writes themselves.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { boot } from '../src/boot.ts';
import { loadConfig } from '../src/config.ts';
import type { Benchmark, BenchResult } from './types.ts';
import { createBenchDatabase, withClient, type BenchDatabase } from './support/database.ts';
import { seedCheckoutRuns } from './support/flow-seed.ts';
import { addTally, emptyTally, forkTickChild, runPhases, type Tally, type TickChild } from './support/tick-children.ts';
import { BENCH_FLOW } from './support/flow-shape.ts';
import { positiveInt } from './support/env.ts';
import { setBasedPhase } from './support/set-based-raw.ts';

const WORKERS = 2;
const STEPS_PER_RUN = 3;
const TARGET_STEPS_PER_SECOND = 10_000;
const TARGET_RATIO = 0.5;


/** Starts the worker processes for one side; not timed. */
async function startWorkers(script: string, env: Record<string, string>, label: string): Promise<TickChild[]> {
  const children: TickChild[] = [];
  try {
    for (let i = 0; i < WORKERS; i++) children.push(await forkTickChild(join(import.meta.dirname, 'support', script), env, `${label} worker ${i + 1}`));
    return children;
  } catch (err) {
    await Promise.all(children.map((c) => c.stop()));
    throw err;
  }
}

/**
 * Before each measured phase: no autovacuum still busy on either database and no dirty pages
 * waiting for the checkpointer, so one side's leftovers do not land on the other's clock.
 * Autovacuum that a side's own phase sets off still counts against it, as it would in production.
 */
async function quiesce(dbs: BenchDatabase[]): Promise<void> {
  const names = dbs.map((d) => d.name);
  const deadline = Date.now() + 30_000;
  await withClient(dbs[0]!.url, async (c) => {
    for (;;) {
      const { rows } = await c.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'autovacuum worker' AND datname = ANY($1::text[])",
        [names],
      );
      if (rows[0]!.n === 0 || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await c.query('CHECKPOINT');
  });
}

type Stored = { messages: number; dedupeKeys: number; runsMessaged: number; queued: number; stepRows: number; completedRuns: number; openRuns: number };

const stored = (db: BenchDatabase): Promise<Stored> =>
  withClient(db.url, async (c) => {
    const { rows } = await c.query<Stored>(
      `SELECT (SELECT count(*) FROM messages)::int AS "messages",
              (SELECT count(DISTINCT dedupe_key) FROM messages)::int AS "dedupeKeys",
              (SELECT count(DISTINCT run_id) FROM messages)::int AS "runsMessaged",
              (SELECT count(*) FROM messages WHERE status = 'queued')::int AS "queued",
              (SELECT count(*) FROM flow_run_steps)::int AS "stepRows",
              (SELECT count(*) FROM flow_runs WHERE status = 'completed')::int AS "completedRuns",
              (SELECT count(*) FROM flow_runs WHERE status NOT IN ('completed', 'exited'))::int AS "openRuns"`,
    );
    return rows[0]!;
  });

/** Every run ran all three steps and made exactly one message, under a key of its own. */
function verify(label: string, s: Stored, runs: number, tally: Tally): void {
  const problems: string[] = [];
  if (s.messages !== runs) problems.push(`${s.messages} messages, expected ${runs}`);
  if (s.dedupeKeys !== s.messages) problems.push(`${s.messages - s.dedupeKeys} dedupe keys used twice`);
  if (s.runsMessaged !== runs) problems.push(`${s.runsMessaged} runs have a message, expected ${runs}`);
  if (s.queued !== runs) problems.push(`${s.queued} messages queued, expected ${runs}`);
  if (s.stepRows !== runs * STEPS_PER_RUN) problems.push(`${s.stepRows} step rows, expected ${runs * STEPS_PER_RUN}`);
  if (s.completedRuns !== runs || s.openRuns !== 0) problems.push(`${s.completedRuns} runs completed and ${s.openRuns} still open`);
  if (tally.steps !== s.stepRows) problems.push(`workers reported ${tally.steps} steps, ${s.stepRows} stored`);
  if (tally.messages !== s.messages) problems.push(`workers reported ${tally.messages} messages, ${s.messages} stored`);
  if (problems.length > 0) throw new Error(`${label}: ${problems.join('; ')}`);
}

async function run(): Promise<BenchResult> {
  const runs = positiveInt('BENCH_FLOW_RUNS', 100_000);
  // Near the real time, as a live entry would be, then fixed: the workers are handed the clock
  // rather than reading their own.
  const t0 = new Date(Math.floor(Date.now() / 60_000) * 60_000);
  // First every run takes its delay step; then, with the clock past the delay, split and email.
  const phases = [t0, new Date(t0.getTime() + 2 * BENCH_FLOW.delayMs)];
  const encryptionKey = randomBytes(32).toString('base64');

  const engineDb = await createBenchDatabase('flows');
  const dbs = [engineDb];
  const children: TickChild[] = [];
  try {
    const rt = await boot({ config: loadConfig({ DATABASE_URL: engineDb.url, ENCRYPTION_KEY: encryptionKey, LOG_LEVEL: 'silent' }) });
    const seed = await seedCheckoutRuns(rt, runs, t0).finally(() => rt.close());
    // Fresh statistics and visibility map, so the planner and autovacuum start both copies alike.
    await withClient(engineDb.url, (c) => c.query('VACUUM ANALYZE'));
    const rawDb = await createBenchDatabase('flows_raw', { template: engineDb });
    dbs.push(rawDb);
    const setDb = await createBenchDatabase('flows_set', { template: engineDb });
    dbs.push(setDb);

    const [engineWorkers, rawWorkers] = await Promise.all([
      startWorkers('flow-tick-child.ts', { DATABASE_URL: engineDb.url, ENCRYPTION_KEY: encryptionKey }, 'flow'),
      startWorkers('raw-tick-child.ts', { DATABASE_URL: rawDb.url }, 'raw'),
    ]);
    children.push(...engineWorkers, ...rawWorkers);

    // Phase by phase, alternating sides, so load from elsewhere on the machine and checkpoints
    // drift over both alike rather than over whichever ran second.
    const engine = { tally: emptyTally(), phaseSeconds: [] as number[] };
    const raw = { tally: emptyTally(), phaseSeconds: [] as number[] };
    const set = { tally: emptyTally(), phaseSeconds: [] as number[] };
    const setBased = async (p: number, now: Date) =>
      withClient(setDb.url, async (c) => {
        const start = process.hrtime.bigint();
        const r = await setBasedPhase(c, p, now);
        const seconds = Number(process.hrtime.bigint() - start) / 1e9;
        return { tally: { ticks: 1, claimed: 0, steps: r.steps, messages: r.messages, cpuSeconds: 0 }, seconds };
      });
    for (const [p, now] of phases.entries()) {
      const sides = [
        [engineDb, engine, () => runPhases(engineWorkers, [now])],
        [rawDb, raw, () => runPhases(rawWorkers, [now])],
        [setDb, set, () => setBased(p, now)],
      ] as const;
      for (const [db, side, runPhase] of sides) {
        await quiesce(dbs);
        const r = await runPhase();
        addTally(side.tally, r.tally);
        side.phaseSeconds.push(r.seconds);
        // Untimed: the dead rows this phase left are cleared before anything else runs, instead
        // of an autovacuum cleaning them up during the other side's phase.
        if (p < phases.length - 1) await withClient(db.url, (c) => c.query('VACUUM ANALYZE'));
      }
    }
    await Promise.all(children.splice(0).map((c) => c.stop()));
    verify('engine', await stored(engineDb), runs, engine.tally);
    verify('raw', await stored(rawDb), runs, raw.tally);
    verify('set-based', await stored(setDb), runs, set.tally);
    const engineSeconds = engine.phaseSeconds.reduce((a, b) => a + b, 0);
    const rawSeconds = raw.phaseSeconds.reduce((a, b) => a + b, 0);
    const setSeconds = set.phaseSeconds.reduce((a, b) => a + b, 0);

    const engineRate = engine.tally.steps / engineSeconds;
    const rawRate = raw.tally.steps / rawSeconds;
    const setRate = set.tally.steps / setSeconds;
    const details = {
      runs,
      workers: WORKERS,
      batch: 500,
      flow: 'delay PT1M → split (Placed Order since entry) → email',
      enteredVia: 'enterFlow (profiles and events inserted set-based)',
      steps: engine.tally.steps,
      messages: engine.tally.messages,
      ticks: engine.tally.ticks,
      engineSeconds: Number(engineSeconds.toFixed(3)),
      enginePhaseSeconds: engine.phaseSeconds.map((s) => s.toFixed(2)).join(', '),
      engineWorkerCpuSeconds: Number(engine.tally.cpuSeconds.toFixed(2)),
      setBasedSteps: set.tally.steps,
      setBasedSeconds: Number(setSeconds.toFixed(3)),
      setBasedPhaseSeconds: set.phaseSeconds.map((s) => s.toFixed(2)).join(', '),
      batchedRawStepsPerSecond: Math.round(rawRate),
      batchedRawRatio: Number((engineRate / rawRate).toFixed(2)),
      batchedRawSteps: raw.tally.steps,
      batchedRawSeconds: Number(rawSeconds.toFixed(3)),
      batchedRawPhaseSeconds: raw.phaseSeconds.map((s) => s.toFixed(2)).join(', '),
      batchedRawWorkerCpuSeconds: Number(raw.tally.cpuSeconds.toFixed(2)),
      ...seed.seconds,
    };
    return {
      name: 'flow steps (2 workers)',
      value: engineRate,
      unit: 'steps/s',
      limit: { name: 'set-based raw (one statement per phase)', value: setRate },
      ratio: engineRate / setRate,
      target: TARGET_RATIO,
      // Both bars count: a fast machine could clear the ratio while the engine is still too slow.
      valueTarget: TARGET_STEPS_PER_SECOND,
      details,
    };
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    const dropped = await Promise.allSettled(dbs.map((d) => d.drop()));
    for (const d of dropped) if (d.status === 'rejected') console.error(`could not drop a bench database: ${String(d.reason)}`);
  }
}

export const flowStepsBench: Benchmark = { id: 'flow-steps', run };
