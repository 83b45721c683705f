// The embedded database serves many pooled connections over one PGlite backend: concurrent
// extended queries and transactions must each get their own answers.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbedded } from '../src/db/embedded.ts';

const dir = await mkdtemp(join(tmpdir(), 'storeflow-embedded-'));
const server = await startEmbedded(dir);
const pool = new pg.Pool({ connectionString: server.url, max: 10 });
after(async () => {
  await pool.end();
  await server.stop();
  await rm(dir, { recursive: true, force: true });
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
