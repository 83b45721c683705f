// Shared by the fault drills, hostile-input and security suites: problem+json checks, polling
// without timed assertions, and child processes that are always reaped.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpRequestRaw } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { childEnv, ROOT } from './spawn.ts';

export type ProblemBody = { type: string; title: string; status: number; detail: string };

/** A refusal as clients are promised it: the status, and an RFC 9457 body saying the same. */
export function assertProblemResponse(status: number, contentType: string | null | undefined, text: string, expected?: number | ((s: number) => boolean)): ProblemBody {
  if (typeof expected === 'number') assert.equal(status, expected, text.slice(0, 500));
  else if (expected) assert.ok(expected(status), `unexpected status ${status}: ${text.slice(0, 500)}`);
  assert.match(contentType ?? '', /^application\/problem\+json/, `status ${status} without problem+json: ${text.slice(0, 300)}`);
  const body = JSON.parse(text) as ProblemBody;
  assert.equal(body.status, status);
  assert.equal(typeof body.title, 'string');
  assert.equal(typeof body.detail, 'string');
  assert.match(body.type, /^https:\/\/storeflow\.dev\/problems\//);
  return body;
}

/**
 * Polls until `check` returns a value other than undefined/false. The timeout is a safety net
 * against a hang, never the thing asserted: outcomes are checked on the value returned.
 */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 60_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    await sleep(everyMs);
  }
}

export type Child = { child: ChildProcess; output: () => string; exited: Promise<number | string | null> };

/** Runs a .ts entry under this repository with only the given environment. */
export function startChild(entry: string, args: string[], env: Record<string, string>): Child {
  const child = spawn(process.execPath, [entry, ...args], { cwd: ROOT, env: childEnv(env) });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  return { child, output: () => out, exited };
}

/** Sends the signal unless the process is already gone, and waits for it to be gone. */
export async function stopChild(c: Child, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill(signal);
  await c.exited;
}

export async function countRows(pool: { query: (sql: string, params?: unknown[]) => Promise<{ rows: Array<Record<string, unknown>> }> }, table: string, storeId?: string): Promise<number> {
  const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${table}${storeId ? ' WHERE store_id = $1' : ''}`, storeId ? [storeId] : []);
  return rows[0]!.n as number;
}

export type HttpAnswer = { status: number; contentType: string | undefined; headers: Record<string, string | string[] | undefined>; text: string };

/**
 * One HTTP request over node:http rather than fetch: some platform stubs replace the global
 * fetch, and a drill must reach the app itself. Rejects only on a transport error or timeout.
 */
export function httpRequest(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer; timeoutMs?: number } = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequestRaw(url, { method: opts.method ?? 'GET', headers: opts.headers ?? {}, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.setTimeout(opts.timeoutMs ?? 30_000, () => req.destroy(new Error(`no answer from ${url} within ${opts.timeoutMs ?? 30_000} ms`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}
