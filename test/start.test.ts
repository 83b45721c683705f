// `npm start` with no environment at all: embedded database, web and worker in one process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { runCli, startApp } from './helpers/spawn.ts';

test('the app starts on the embedded default, answers /healthz, lets the CLI attach, and stops cleanly', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'storeflow-start-'));
  // PORT=0 picks a free port; DATA_DIR keeps the test off ./data. Nothing else is set.
  const env = { DATA_DIR: dataDir, PORT: '0' };
  const app = await startApp(env);
  try {
    const res = await fetch(`http://127.0.0.1:${app.port}/healthz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });

    // A CLI command meanwhile goes through the running app's socket, not the files.
    const cli = await runCli(['store', 'add', '--platform', 'custom', '--domain', 'attached.example.com', '--json'], env);
    assert.equal(cli.code, 0, cli.stderr);
    const { privateKey } = JSON.parse(cli.stdout) as { privateKey: string };
    const list = await fetch(`http://127.0.0.1:${app.port}/api/v1/catalog/products`, { headers: { Authorization: `Bearer ${privateKey}` } });
    assert.equal(list.status, 200, 'the running app sees the store the CLI created');

    assert.ok((await readdir(dataDir)).includes('encryption.key'), 'a key is generated under DATA_DIR');
    const mode = async (name: string) => ((await lstat(join(dataDir, name))).mode & 0o777).toString(8);
    assert.deepEqual(
      { dir: await mode('.'), key: await mode('encryption.key'), address: await mode('embedded-db.json'), socket: await mode('.s.PGSQL.5432') },
      { dir: '700', key: '600', address: '600', socket: '600' },
      'DATA_DIR and what the app keeps in it are owner-only',
    );
  } finally {
    app.child.kill('SIGTERM');
    const [code] = await once(app.child, 'exit');
    assert.equal(code, 0, app.output());
    assert.ok(!(await readdir(dataDir)).includes('embedded-db.json'), 'the socket address is removed on exit');
    await rm(dataDir, { recursive: true, force: true });
  }
});
