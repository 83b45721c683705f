// Runs `src/main.ts` (what `npm start` runs: web and Agenda worker in one process) as a child
// process, so a benchmark measures the application as it is deployed rather than a harness
// assembled from its parts.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../../test/helpers/free-port.ts';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'main.ts');
const CLI = join(import.meta.dirname, '..', '..', 'src', 'cli.ts');
const KEEP_OUTPUT = 20_000;

export type AppProcess = { pid: number; baseUrl: string; stop(): Promise<void> };

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** `role: 'web'` runs only the web server (`cli serve`), for a benchmark that drives the worker's part itself. */
export async function startApp(env: Record<string, string>, opts: { readyTimeoutMs?: number; role?: 'all' | 'web' } = {}): Promise<AppProcess> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, opts.role === 'web' ? [CLI, 'serve'] : [MAIN], {
    env: { ...process.env, ...env, PORT: String(port), APP_URL: baseUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Kept for the error message only: a failed start should say why.
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-KEEP_OUTPUT);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const done = exited(child);
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await done;
    clearTimeout(timer);
  };

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the app exited with code ${child.exitCode} while starting:\n${output}`);
    const ok = await fetch(`${baseUrl}/healthz`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the app did not answer /healthz within ${opts.readyTimeoutMs ?? 30_000} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { pid: child.pid!, baseUrl, stop };
}
