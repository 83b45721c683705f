// Loaded into every process of a distributed-mode run (NODE_OPTIONS=--import): records each
// statement sent through pg with the repo file that sent it, checks its routing, and writes a
// summary to STOREFLOW_STATEMENT_LOG when the process exits.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import { analyzeStatement, loadParser, type Routing } from './routing.ts';

const ROOT = resolve(import.meta.dirname, '../..') + '/';
const dir = process.env.STOREFLOW_STATEMENT_LOG;

export type Recorded = {
  origin: string;
  sql: string;
  count: number;
  routing: Routing;
  /** Executions whose distribution-value parameters held more than one value (up to 3 examples). */
  spread: string[][];
};

if (dir) {
  await loadParser();
  const analyses = new Map<string, Routing>();
  const seen = new Map<string, Recorded>();
  // pool.query reaches client.query after an await, where the caller's frames are gone: the
  // pool's own wrapper notes the caller first.
  const caller = new AsyncLocalStorage<string>();
  const poolQuery = pg.Pool.prototype.query as (...args: unknown[]) => unknown;
  pg.Pool.prototype.query = function (this: pg.Pool, ...args: unknown[]) {
    return caller.run(originOf(new Error().stack ?? ''), () => poolQuery.apply(this, args));
  } as typeof pg.Pool.prototype.query;
  const original = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    try {
      record(args);
    } catch {
      // recording never changes what the app sees
    }
    return original.apply(this, args);
  } as typeof pg.Client.prototype.query;

  function record(args: unknown[]): void {
    const first = args[0] as string | { text?: string; values?: unknown[] } | undefined;
    const sql = typeof first === 'string' ? first : first?.text;
    if (!sql) return;
    const values = (Array.isArray(args[1]) ? args[1] : typeof first === 'object' ? first.values : undefined) ?? [];
    const own = originOf(new Error().stack ?? '');
    const origin = own === 'unknown' ? (caller.getStore() ?? own) : own;
    let routing = analyses.get(sql);
    if (!routing) analyses.set(sql, (routing = analyzeStatement(sql)));
    const key = `${origin}\0${sql}`;
    let entry = seen.get(key);
    if (!entry) seen.set(key, (entry = { origin, sql, count: 0, routing, spread: [] }));
    entry.count++;
    if (!routing.params.length && !routing.arrayParams.length && !routing.recordParams.length) return;
    const stores = new Set<string>();
    for (const p of routing.params) stores.add(String(values[p - 1]));
    for (const p of routing.arrayParams) for (const v of (values[p - 1] as unknown[]) ?? []) stores.add(String(v));
    for (const { param, field } of routing.recordParams) {
      const raw = values[param - 1];
      const records = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Array<Record<string, unknown>> | null;
      for (const r of records ?? []) stores.add(String(r[field]));
    }
    if (stores.size > 1 && entry.spread.length < 3) entry.spread.push([...stores].slice(0, 5));
  }

  process.on('exit', () => {
    if (!seen.size) return;
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${process.pid}-${randomBytes(4).toString('hex')}.json`), JSON.stringify([...seen.values()]));
  });
}

/** The repo file (or package) that sent the statement: the first stack frame outside pg and this file. */
function originOf(stack: string): string {
  for (const line of stack.split('\n').slice(1)) {
    // Only real files: `(node:internal/...)` frames are skipped.
    const m = /(?:\(|at )(?:file:\/\/)?(\/[^():]+):\d+:\d+\)?$/.exec(line.trim());
    if (!m) continue;
    const file = m[1]!;
    if (/\/node_modules\/pg(-pool)?\//.test(file) || file.endsWith('statement-recorder.ts')) continue;
    const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
    if (pkg) return `node_modules/${pkg[1]}`;
    return file.startsWith(ROOT) ? file.slice(ROOT.length) : file;
  }
  return 'unknown';
}
