// Runs test files against the distributed shape (every store table hash-partitioned on its
// distribution column) while recording each statement, then checks that every statement the app
// sends names one store_id, apart from the cross-store work listed in allow-list.json.
//   node test/distributed/check.ts [test files...]   (default: the whole suite)
//   node test/distributed/check.ts --save statements.json [test files...]   keeps what was recorded
//   node test/distributed/check.ts --from statements.json                   checks a saved recording again
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { ADMIN_URL } from '../helpers/db.ts';
import { distributedTables, distributedTemplate } from '../helpers/distributed-schema.ts';
import type { Recorded } from './statement-recorder.ts';
import { analyzeStatement, loadParser } from './routing.ts';

type Allowed = { origin: string; contains: string; why: string };

const root = resolve(import.meta.dirname, '../..');
const args = process.argv.slice(2);
const option = (flag: string) => {
  const i = args.indexOf(flag);
  return i >= 0 ? args.splice(i, 2)[1] : undefined;
};
const saveTo = option('--save');
const from = option('--from');
const files = args;
// Kept in the repo (ignored by git), not the OS temp folder, which other work may sweep mid-run.
mkdirSync(join(root, '.distributed-check'), { recursive: true });
const logDir = mkdtempSync(join(root, '.distributed-check', 'statements-'));
process.env.STOREFLOW_TEST_SCHEMA = 'distributed';
const template = await distributedTemplate(ADMIN_URL);

const run = from ? { status: 0 } : spawnSync(
  process.execPath,
  ['--test', `--test-concurrency=${process.env.TEST_CONCURRENCY ?? '2'}`, ...(files.length ? files : ['test/**/*.test.ts'])],
  {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      // Run from inside a test file, the nested runner must not report to the outer one.
      NODE_TEST_CONTEXT: undefined,
      STOREFLOW_STATEMENT_LOG: logDir,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${join(import.meta.dirname, 'statement-recorder.ts')}`.trim(),
    },
  },
);

const merged = new Map<string, Recorded>();
const recordings = from ? [resolve(from)] : readdirSync(logDir).map((f) => join(logDir, f));
for (const f of recordings) {
  for (const r of JSON.parse(readFileSync(f, 'utf8')) as Recorded[]) {
    const key = `${r.origin}\0${r.sql}`;
    const m = merged.get(key);
    if (!m) merged.set(key, r);
    else {
      m.count += r.count;
      m.spread.push(...r.spread.slice(0, 3 - m.spread.length));
    }
  }
}
rmSync(logDir, { recursive: true, force: true });
// A capture that lost its caller across an async hop (origin unknown, a package, or the pool)
// is credited to the repository file seen sending the same text elsewhere in the run.
const isRepoFile = (o: string) => /^(src|connectors)\//.test(o) && o !== 'src/db/pool.ts';
const senderOf = new Map<string, string>();
for (const r of merged.values()) if (isRepoFile(r.origin)) senderOf.set(r.sql, r.origin);
for (const [key, r] of [...merged]) {
  const sender = senderOf.get(r.sql);
  if (isRepoFile(r.origin) || !sender) continue;
  merged.delete(key);
  const into = merged.get(`${sender}\0${r.sql}`)!;
  into.count += r.count;
  into.spread.push(...r.spread.slice(0, 3 - into.spread.length));
}
// Judged again here with the analyzer as it is now, so a saved recording is checked by today's rules.
await loadParser();
for (const r of merged.values()) r.routing = analyzeStatement(r.sql);
if (saveTo) writeFileSync(saveTo, JSON.stringify([...merged.values()]));

const url = new URL(ADMIN_URL);
url.pathname = `/${template}`;
const tplPool = new pg.Pool({ connectionString: url.toString(), max: 1 });
const distributed = await distributedTables(tplPool);
await tplPool.end();

const allowList = JSON.parse(readFileSync(join(import.meta.dirname, 'allow-list.json'), 'utf8')) as Allowed[];
const squash = (s: string) => s.replace(/\s+/g, ' ').trim();
const fromTests = (origin: string) => /^(test|bench)\//.test(origin);

let executions = 0;
let appStatements = 0;
let testStatements = 0;
let routed = 0;
let byValue = 0;
const allowedHits = new Map<Allowed, number>();
const unlisted: Recorded[] = [];
for (const r of merged.values()) {
  const tables = r.routing.refs.filter((x) => distributed.has(x.table));
  if (fromTests(r.origin)) {
    testStatements++;
    continue;
  }
  appStatements++;
  executions += r.count;
  const fine = !r.routing.error && tables.every((t) => t.routed) && r.spread.length === 0;
  if (fine) {
    routed++;
    if (r.routing.byValue && tables.length) byValue++;
    continue;
  }
  const allowed = allowList.find((a) => a.origin === r.origin && squash(r.sql).includes(squash(a.contains)));
  if (allowed) allowedHits.set(allowed, (allowedHits.get(allowed) ?? 0) + 1);
  else unlisted.push(r);
}

for (const r of unlisted) {
  const bad = r.routing.refs.filter((x) => distributed.has(x.table) && !x.routed).map((x) => x.table);
  console.log(`\nUNLISTED ${r.origin} (${r.count}x)${bad.length ? ` unrouted: ${[...new Set(bad)].join(', ')}` : ''}`);
  if (r.routing.error) console.log(`  parse error: ${r.routing.error}`);
  if (r.spread.length) console.log(`  one execution named several stores: ${r.spread[0]!.join(', ')}`);
  console.log(`  ${squash(r.sql).slice(0, 400)}`);
}
const unused = allowList.filter((a) => !allowedHits.has(a));
console.log(`\ndistributed check: ${from ? `recording ${from}` : `test run exit ${run.status}`}`);
console.log(`distinct app statements: ${appStatements} (${executions} executions); single store: ${routed}, of which ${byValue} only by their parameters' values`);
console.log(`allowed cross-store statements: ${[...allowedHits.values()].reduce((a, b) => a + b, 0)} over ${allowedHits.size} allow-list entries`);
console.log(`statements sent by the tests themselves (not checked): ${testStatements}`);
console.log(`unlisted: ${unlisted.length}`);
if (files.length === 0 && unused.length) console.log(`allow-list entries matched nothing: ${unused.map((a) => `${a.origin}: ${a.contains}`).join('; ')}`);
process.exitCode = run.status !== 0 || unlisted.length ? 1 : 0;
