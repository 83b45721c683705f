// Worker processes for the flow benchmarks. Each child is a real Node process with its own pool,
// so two of them compete for due runs through `FOR UPDATE SKIP LOCKED` exactly as two
// `npm run worker` processes would. The parent hands every child the same clock reading ("a
// phase"); each child ticks until nothing is due at that time and reports what it did. Phases are
// separated by a barrier: a run still leased by the slower child at the end of one phase would
// otherwise be missed by the next.
import { fork, type ChildProcess } from 'node:child_process';

/** `cpuSeconds`: user + system time the worker process itself spent (its own JS, not Postgres). */
export type Tally = { ticks: number; claimed: number; steps: number; messages: number; cpuSeconds: number };

export type Tick = (now: Date) => Promise<{ claimed: number; steps: number; messages: number }>;

type ToChild = { type: 'phase'; now: string } | { type: 'exit' };
type FromChild = { type: 'ready' } | { type: 'done'; tally: Tally } | { type: 'failed'; message: string };

export const emptyTally = (): Tally => ({ ticks: 0, claimed: 0, steps: 0, messages: 0, cpuSeconds: 0 });

export function addTally(into: Tally, t: Tally): void {
  into.ticks += t.ticks;
  into.claimed += t.claimed;
  into.steps += t.steps;
  into.messages += t.messages;
  into.cpuSeconds += t.cpuSeconds;
}

/** The child's side: answers phases with `tick` until told to exit. */
export function serveTicks(tick: Tick, close: () => Promise<void>): void {
  const send = (m: FromChild) => process.send!(m);
  process.on('message', (m: ToChild) => {
    if (m.type === 'exit') {
      close().finally(() => process.exit(0));
      return;
    }
    const now = new Date(m.now);
    (async () => {
      const tally = emptyTally();
      const cpu = process.cpuUsage();
      for (;;) {
        const r = await tick(now);
        tally.ticks++;
        tally.claimed += r.claimed;
        tally.steps += r.steps;
        tally.messages += r.messages;
        if (r.claimed === 0) break;
      }
      const used = process.cpuUsage(cpu);
      tally.cpuSeconds = (used.user + used.system) / 1e6;
      return tally;
    })().then(
      (tally) => send({ type: 'done', tally }),
      (err: unknown) => send({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
    );
  });
  send({ type: 'ready' });
}

export type TickChild = { pid: number; phase(now: Date): Promise<Tally>; stop(): Promise<void> };

function nextMessage(child: ChildProcess, label: string): Promise<FromChild> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: FromChild) => {
      cleanup();
      if (m.type === 'failed') reject(new Error(`${label} failed: ${m.message}`));
      else resolve(m);
    };
    const onExit = (code: number | null, signal: string | null) => {
      cleanup();
      reject(new Error(`${label} exited (code ${code}, signal ${signal}) before answering`));
    };
    const cleanup = () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/** Starts `script` as a child process and resolves once it is ready to take a phase. */
export async function forkTickChild(script: string, env: Record<string, string>, label: string): Promise<TickChild> {
  const child = fork(script, [], { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = await nextMessage(child, label);
  if (ready.type !== 'ready') throw new Error(`${label} sent ${ready.type} before ready`);
  return {
    pid: child.pid!,
    async phase(now) {
      const answer = nextMessage(child, label);
      child.send({ type: 'phase', now: now.toISOString() } satisfies ToChild);
      const m = await answer;
      if (m.type !== 'done') throw new Error(`${label} answered ${m.type}`);
      return m.tally;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.send({ type: 'exit' } satisfies ToChild);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Runs each phase on every child at once, waiting for all of them before the next phase; returns
 * the summed tally and the wall time of the phases alone (start-up and barriers between phases
 * excluded: they are the harness, not the work).
 */
export async function runPhases(children: TickChild[], phases: Date[]): Promise<{ tally: Tally; seconds: number; phaseSeconds: number[] }> {
  const tally = emptyTally();
  const phaseSeconds: number[] = [];
  for (const now of phases) {
    const start = process.hrtime.bigint();
    const tallies = await Promise.all(children.map((c) => c.phase(now)));
    phaseSeconds.push(Number(process.hrtime.bigint() - start) / 1e9);
    for (const t of tallies) addTally(tally, t);
  }
  return { tally, seconds: phaseSeconds.reduce((a, b) => a + b, 0), phaseSeconds };
}
