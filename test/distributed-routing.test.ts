// The Citus path of docs/operations.md, checked on a sample of the suite: flows and webhook intake
// run against store tables hash-partitioned on store_id, and each statement the app sends names
// one store_id or is an explained cross-store claim. The whole suite: npm run check:distributed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { analyzeStatement, loadParser } from './distributed/routing.ts';

const root = resolve(import.meta.dirname, '..');

test('a statement is pinned to one store by store_id = $n, or by a join on store_id to a pinned table', async () => {
  await loadParser();
  const pinned = analyzeStatement(
    'SELECT v.id FROM products p JOIN variants v ON v.store_id = p.store_id AND v.product_id = p.id WHERE p.store_id = $1 AND p.id = $2',
  );
  assert.deepEqual(pinned.refs, [{ table: 'products', routed: true }, { table: 'variants', routed: true }]);
  assert.deepEqual(pinned.params, [1]);

  const open = analyzeStatement('SELECT v.id FROM products p JOIN variants v ON v.product_id = p.id WHERE p.store_id = $1');
  assert.deepEqual(open.refs, [{ table: 'products', routed: true }, { table: 'variants', routed: false }]);

  const either = analyzeStatement('SELECT * FROM segments WHERE ($1::uuid IS NULL OR store_id = $1)');
  assert.deepEqual(either.refs, [{ table: 'segments', routed: false }], 'an OR leaves the store open');
});

test('rows inserted from a parameter carry their store_id, checked per execution', async () => {
  await loadParser();
  const values = analyzeStatement('INSERT INTO events (store_id, metric) VALUES ($1, $2), ($3, $4)');
  assert.deepEqual(values.refs, [{ table: 'events', routed: true }]);
  assert.deepEqual(values.params, [1, 3], 'both rows must name the same store');

  const set = analyzeStatement(
    'INSERT INTO flow_run_steps (store_id, run_id) SELECT store_id, run_id FROM jsonb_to_recordset($1::jsonb) AS x(store_id uuid, run_id uuid)',
  );
  assert.deepEqual(set.refs, [{ table: 'flow_run_steps', routed: true }]);
  assert.deepEqual(set.recordParams, [{ param: 1, field: 'store_id' }]);
  assert.equal(set.byValue, true);

  const cte = analyzeStatement(
    'WITH f AS (INSERT INTO flows (store_id, name) VALUES ($1, $2) RETURNING *) INSERT INTO flow_versions (store_id, flow_id) SELECT store_id, id FROM f',
  );
  assert.deepEqual(cte.refs, [{ table: 'flows', routed: true }, { table: 'flow_versions', routed: true }]);
});

test(
  'flows and webhook intake on the distributed shape: every app statement names one store, or is a listed cross-store claim',
  { skip: process.env.STOREFLOW_TEST_SCHEMA === 'distributed' ? 'already inside a distributed run' : false },
  () => {
    const run = spawnSync(
      process.execPath,
      ['test/distributed/check.ts', 'test/flows-engine.test.ts', 'test/webhook-intake.test.ts'],
      { cwd: root, encoding: 'utf8', env: { ...process.env, TEST_CONCURRENCY: '2' }, maxBuffer: 64 * 1024 * 1024 },
    );
    const tail = `${run.stdout.slice(-6000)}\n${run.stderr.slice(-2000)}`;
    assert.equal(run.status, 0, tail);
    assert.match(run.stdout, /^unlisted: 0$/m, tail);
    const single = /single store: (\d+)/.exec(run.stdout);
    assert.ok(single && Number(single[1]) > 40, tail);
  },
);
