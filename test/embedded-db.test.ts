// The embedded database serves many pooled connections over one PGlite backend: concurrent
// extended queries and transactions must each get their own answers. Only its owner reaches it:
// a Unix socket in a private DATA_DIR, a password, and junk connections cannot crowd the app out.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { parse } from 'pg-connection-string';
import { startEmbedded } from '../src/db/embedded.ts';
import { ROOT } from './helpers/spawn.ts';
import { skipUnless } from './helpers/prerequisite.ts';

// DATA_DIR as an earlier release left it: a 0755 folder (under one others may enter) holding a
// world-writable file.
const base = await mkdtemp(join(tmpdir(), 'storeflow-embedded-'));
await chmod(base, 0o755);
const dir = join(base, 'data');
await mkdir(dir);
await chmod(dir, 0o755);
await writeFile(join(dir, 'left-over'), 'x');
await chmod(join(dir, 'left-over'), 0o666);

const server = await startEmbedded(dir);
const pool = new pg.Pool({ connectionString: server.url, max: 10 });
after(async () => {
  await pool.end();
  await server.stop();
  await rm(base, { recursive: true, force: true });
});

/** Where a Postgres client connects for this address: the socket file for a host that is a folder. */
function endpoint(url: string): { path: string } | { host: string; port: number } {
  const c = parse(url);
  const port = Number(c.port ?? 5432);
  return c.host?.startsWith('/') ? { path: join(c.host, `.s.PGSQL.${port}`) } : { host: c.host ?? '127.0.0.1', port };
}

async function modesUnder(path: string): Promise<Array<[string, number]>> {
  const out: Array<[string, number]> = [];
  for (const name of await readdir(path)) {
    const p = join(path, name);
    const st = await lstat(p);
    out.push([p, st.mode & 0o777]);
    if (st.isDirectory()) out.push(...(await modesUnder(p)));
  }
  return out;
}

test('the database runs with buffers sized for one store, not the server defaults (docs/operations.md, Memory)', async () => {
  const { rows } = await pool.query<{ name: string; setting: string }>(
    "SELECT name, current_setting(name) AS setting FROM unnest(ARRAY['shared_buffers', 'work_mem', 'maintenance_work_mem', 'temp_buffers']) AS name",
  );
  assert.deepEqual(Object.fromEntries(rows.map((r) => [r.name, r.setting])), {
    shared_buffers: '32MB',
    work_mem: '4MB',
    maintenance_work_mem: '16MB',
    temp_buffers: '2MB',
  });
  assert.ok(existsSync(join(dir, 'pglite', 'PG_VERSION')), 'the cluster created in a child process is the one served');
});

test('DATA_DIR is 0700 and nothing under it has group or other bits, left-over files included', async () => {
  assert.equal((await lstat(dir)).mode & 0o777, 0o700);
  const loose = (await modesUnder(dir)).filter(([, mode]) => mode & 0o077).map(([p, mode]) => `${p} ${mode.toString(8)}`);
  assert.deepEqual(loose, []);
  assert.equal((await lstat(join(dir, 'embedded-db.json'))).mode & 0o777, 0o600, 'the recorded address (with its password) is owner-only');
});

test('the database listens only on a Unix socket inside DATA_DIR, and refuses a wrong or missing password', async () => {
  const at = endpoint(server.url);
  assert.ok('path' in at, `listens on ${JSON.stringify(at)}, not a Unix socket`);
  assert.equal(resolve(at.path, '..'), resolve(dir));
  assert.ok((await lstat(at.path)).isSocket());
  for (const password of ['wrong', '']) {
    const c = new pg.Client({ ...parse(server.url), password } as pg.ClientConfig);
    await assert.rejects(c.connect(), (err: { code?: string; message: string }) => err.code === '28P01' || /password/.test(err.message), `password ${JSON.stringify(password)}`);
    await c.end().catch(() => {});
  }
});

const asNobody = skipUnless('root with setpriv, to act as another OS user', (process.getuid?.() !== 0 || !existsSync('/usr/bin/setpriv')) && 'not root, or no /usr/bin/setpriv');

test('another OS user can neither read the recorded address nor connect', { skip: asNobody }, async () => {
  // Run as nobody: read the address the owner records, connect with it, and try the socket bare.
  const probe = `
    const fs = require('node:fs'); const pg = require('pg'); const dir = process.argv[1];
    (async () => {
      const out = { read: 'ok', connect: [] }; const urls = [];
      try { urls.push(JSON.parse(fs.readFileSync(dir + '/embedded-db.json', 'utf8')).url); } catch (e) { out.read = e.code; }
      urls.push('postgresql://postgres@/postgres?port=5432&host=' + encodeURIComponent(dir));
      for (const u of urls) {
        const c = new pg.Client({ connectionString: u, connectionTimeoutMillis: 3000 });
        try { await c.connect(); await c.query('select 1'); out.connect.push('ok'); } catch (e) { out.connect.push(e.code || e.message); }
        await c.end().catch(() => {});
      }
      console.log(JSON.stringify(out));
    })();`;
  const { stdout } = await promisify(execFile)('/usr/bin/setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', probe, dir], { cwd: ROOT });
  const out = JSON.parse(stdout) as { read: string; connect: string[] };
  assert.notEqual(out.read, 'ok', 'nobody read the recorded address');
  assert.ok(out.connect.length > 0 && out.connect.every((r) => r !== 'ok'), `nobody connected: ${stdout}`);
});

test('a hundred idle connections and stalled sign-ins do not lock the app out', async () => {
  const at = endpoint(server.url);
  const junk: Socket[] = [];
  const open = () =>
    new Promise<Socket>((ok) => {
      const s = 'path' in at ? connect(at.path) : connect(at.port, at.host);
      s.on('error', () => {}); // the server may drop junk; that is the point
      s.once('connect', () => ok(s));
      s.once('close', () => ok(s));
      junk.push(s);
    });
  try {
    for (let i = 0; i < 100; i++) await open();
    // A startup message with no password after it: a sign-in that never finishes.
    const startup = Buffer.from('\0\0\0\0\0\x03\0\0user\0postgres\0\0', 'latin1');
    startup.writeInt32BE(startup.length, 0);
    for (let i = 0; i < 20; i++) (await open()).write(startup);
    // The app's whole pool at once, each client running a query while holding its connection.
    const clients = await Promise.all(Array.from({ length: 10 }, () => pool.connect()));
    try {
      const answers = await Promise.all(clients.map((c, i) => c.query<{ n: number }>('SELECT $1::int AS n', [i])));
      assert.deepEqual(answers.map((r) => r.rows[0]!.n), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    } finally {
      for (const c of clients) c.release();
    }
  } finally {
    for (const s of junk) s.destroy();
  }
});

test('concurrent parameterised queries, transactions and failures never cross connections', async () => {
  await pool.query('CREATE TABLE t (id int PRIMARY KEY, v text)');
  const wrong: string[] = [];
  const jobs: Array<Promise<unknown>> = [];
  for (let i = 0; i < 1500; i++) {
    jobs.push(
      pool.query<{ x: number; y: string }>('SELECT $1::int + 1 AS x, $2::text AS y', [i, `v${i}`]).then((r) => {
        if (r.rows[0]!.x !== i + 1 || r.rows[0]!.y !== `v${i}`) wrong.push(`${i} got ${JSON.stringify(r.rows[0])}`);
      }),
    );
    if (i % 25 === 0) {
      jobs.push(
        (async () => {
          const c = await pool.connect();
          try {
            await c.query('BEGIN');
            await c.query('INSERT INTO t VALUES ($1, $2)', [i, 'x']);
            const { rows } = await c.query<{ v: string }>('SELECT v FROM t WHERE id = $1', [i]);
            if (rows[0]?.v !== 'x') wrong.push(`tx ${i} could not read its own write`);
            await c.query('COMMIT');
          } finally {
            c.release();
          }
        })(),
      );
    }
    // A failing statement must not stall or poison the others.
    if (i % 100 === 0) jobs.push(pool.query('SELECT 1 / $1::int', [0]).then(() => wrong.push('division by zero succeeded'), () => {}));
  }
  await Promise.all(jobs);
  assert.deepEqual(wrong, []);
  const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM t');
  assert.equal(rows[0]!.n, 60);
});
