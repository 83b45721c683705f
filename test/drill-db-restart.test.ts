// Fault drill: PostgreSQL stopped and restarted under a running app (web and worker, `src/main.ts`).
// Requests during the outage get a prompt 503 problem+json, the process stays up, and once the
// server is back /healthz is 200 and writes land again.
//
// The drill takes a server away, so it never touches the shared one other test files (and other
// people's runs on the machine) use: it creates a throwaway cluster of its own (Debian's
// pg_createcluster, trust auth on a free loopback port) and drops it afterwards.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import type { ChildProcess } from 'node:child_process';
import pg from 'pg';
import { runCli, startApp } from './helpers/spawn.ts';
import { assertProblemResponse, httpRequest, waitFor, type HttpAnswer } from './helpers/drill.ts';
import { freePort } from './helpers/free-port.ts';
import { skipUnless } from './helpers/prerequisite.ts';

const run = promisify(execFile);
const CLUSTERS = '/etc/postgresql';
const version = existsSync(CLUSTERS) ? readdirSync(CLUSTERS).sort().at(-1) : undefined;
const tools = existsSync('/usr/bin/pg_createcluster') && existsSync('/usr/bin/pg_ctlcluster');
const skip = skipUnless('Debian postgresql-common', (!version || !tools) && 'no PostgreSQL cluster under /etc/postgresql or no pg_createcluster/pg_ctlcluster (apt-get install postgresql-common)');
const cluster = `storeflow_drill_${randomBytes(4).toString('hex')}`;

async function pgctl(action: 'start' | 'stop' | 'restart'): Promise<void> {
  await run('pg_ctlcluster', ['--skip-systemctl-redirect', version!, cluster, action, ...(action === 'start' ? [] : ['-m', 'fast'])]);
}

let adminUrl = '';

async function serverAnswers(): Promise<boolean> {
  const c = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => {});
  }
}

/** Puts the drill's server back whatever happened, so the app and the cleanup can reach it. */
async function ensureStarted(): Promise<void> {
  if (await serverAnswers()) return;
  await pgctl('start').catch(() => {});
  await waitFor('PostgreSQL to accept connections', serverAnswers, 60_000, 250);
}

describe('the database restarted under a running app', { skip }, () => {
  let created = false;
  let dbUrl = '';
  let dataDir: string;
  let app: { child: ChildProcess; port: number; output: () => string };
  let auth: Record<string, string>;
  let publicKey: string;
  let sent = 0;

  const url = (path: string) => `http://127.0.0.1:${app.port}${path}`;
  const postEvent = (uniqueId: string) =>
    httpRequest(url('/api/v1/events'), {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ events: [{ metric: 'Viewed Product', profile: { email: 'drill@example.com' }, properties: { ProductID: 'p1' }, uniqueId }] }),
      timeoutMs: 15_000,
    });
  const eventsStored = async (): Promise<number> => {
    const c = new pg.Client({ connectionString: dbUrl });
    await c.connect();
    try {
      return (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM events')).rows[0]!.n;
    } finally {
      await c.end();
    }
  };

  before(async () => {
    const port = await freePort();
    await run('pg_createcluster', ['--start', version!, cluster, '-p', String(port), '--', '--auth=trust']);
    created = true;
    adminUrl = `postgresql://postgres@127.0.0.1:${port}/postgres`;
    await waitFor('the drill cluster to accept connections', serverAnswers, 60_000, 250);
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query('CREATE DATABASE storeflow_drill');
    await admin.end();
    dbUrl = `postgresql://postgres@127.0.0.1:${port}/storeflow_drill`;
    dataDir = await mkdtemp(join(tmpdir(), 'storeflow-drill-'));
    const env = { DATABASE_URL: dbUrl, DATA_DIR: dataDir, PORT: '0', ENCRYPTION_KEY: randomBytes(32).toString('base64'), LOG_LEVEL: 'info' };
    app = await startApp(env);
    const cli = await runCli(['store', 'add', '--platform', 'custom', '--domain', 'drill.example.com', '--json'], env);
    assert.equal(cli.code, 0, cli.stderr);
    const keys = JSON.parse(cli.stdout) as { privateKey: string; publicKey: string };
    auth = { authorization: `Bearer ${keys.privateKey}` };
    publicKey = keys.publicKey;
  });

  after(async () => {
    if (app && app.child.exitCode === null && app.child.signalCode === null) {
      app.child.kill('SIGKILL');
      await new Promise((resolve) => app.child.once('exit', resolve));
    }
    if (created) await run('pg_dropcluster', ['--stop', version!, cluster]);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  /** Every route class a client uses while the database is gone. */
  async function duringOutage(): Promise<HttpAnswer[]> {
    return Promise.all([
      httpRequest(url('/healthz'), { timeoutMs: 15_000 }),
      postEvent(`outage-${randomBytes(4).toString('hex')}`),
      httpRequest(url('/api/v1/catalog/products'), { headers: auth, timeoutMs: 15_000 }),
      httpRequest(url('/api/v1/track'), {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ publicKey, metric: 'Viewed Product', profile: { email: 'drill@example.com' }, properties: { ProductID: 'p1' } }),
        timeoutMs: 15_000,
      }),
    ]);
  }

  test('stopped: requests get 503 problem+json with Retry-After within seconds, and the process stays up', async () => {
    assert.equal((await postEvent('before-stop')).status, 202);
    sent++;
    await pgctl('stop');
    try {
      // Twice: the first round meets the pool's dead idle clients, the second finds no server at all.
      for (let round = 0; round < 2; round++) {
        for (const res of await duringOutage()) {
          assertProblemResponse(res.status, res.contentType, res.text, 503);
          assert.equal(res.headers['retry-after'], '5');
        }
      }
      assert.equal(app.child.exitCode, null, `the app exited during the outage:\n${app.output()}`);
    } finally {
      await ensureStarted();
    }
    await waitFor('/healthz to be 200 again', async () => (await httpRequest(url('/healthz'), { timeoutMs: 5_000 })).status === 200, 60_000, 250);
    const after = await postEvent('after-start');
    assert.equal(after.status, 202, after.text);
    sent++;
    assert.equal(await eventsStored(), sent, 'requests refused with 503 stored nothing; accepted ones are all there');
  });

  test('restarted under a steady stream of writes: every answer is 202 or 503, and every 202 is stored', async () => {
    const before = await eventsStored();
    let stop = false;
    const answers: HttpAnswer[] = [];
    const stream = (async () => {
      for (let i = 0; !stop; i++) {
        answers.push(
          await postEvent(`stream-${i}`).catch((err: Error) => {
            throw new Error(`request ${i} got no answer (${err.message}); app output:\n${app.output().slice(-4000)}`);
          }),
        );
      }
    })();
    try {
      await waitFor('a few writes before the restart', async () => answers.length >= 5, 30_000, 50);
      await pgctl('restart');
      await waitFor('/healthz to be 200 again', async () => (await httpRequest(url('/healthz'), { timeoutMs: 5_000 })).status === 200, 60_000, 250);
      // A few more after recovery, so the stream spans before, during and after.
      const seen = answers.length;
      await waitFor('writes after the restart', async () => answers.length >= seen + 5, 30_000, 50);
    } finally {
      stop = true;
      await stream;
    }
    const accepted = answers.filter((a) => a.status === 202).length;
    for (const a of answers) {
      if (a.status !== 202) assertProblemResponse(a.status, a.contentType, a.text, 503);
    }
    assert.ok(answers.at(-1)!.status === 202, 'writes succeed again after the restart');
    assert.equal(await eventsStored(), before + accepted, 'every accepted write is stored, nothing else');
    assert.equal(app.child.exitCode, null, app.output());
  });
});
