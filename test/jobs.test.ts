import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { createStore } from '../src/stores/create-store.ts';
import { startWorker } from '../src/jobs/worker.ts';
import { runExpireDeliveries } from '../src/jobs/expire-deliveries.ts';
import { recordDelivery } from '../src/db/repositories/deliveries.ts';
import { JobNames } from '../src/jobs/job-names.ts';

describe('jobs', () => {
  let rt: TestRuntime;
  before(async () => {
    rt = await testRuntime();
  });
  after(async () => rt.dispose());

  test('expiry forgets delivery ids past the retention window and keeps recent ones', async () => {
    const { store } = await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: 'jobs.example.com' });
    assert.equal(await recordDelivery(rt.db.pool, store.id, 'shopify', 'old'), true);
    assert.equal(await recordDelivery(rt.db.pool, store.id, 'shopify', 'new'), true);
    await rt.db.pool.query("UPDATE webhook_deliveries SET received_at = now() - interval '8 days' WHERE delivery_id = 'old'");
    const removed = await runExpireDeliveries(rt);
    assert.equal(removed, 1);
    // 'old' is forgotten (recordable again); 'new' is still a duplicate.
    assert.equal(await recordDelivery(rt.db.pool, store.id, 'shopify', 'old'), true);
    assert.equal(await recordDelivery(rt.db.pool, store.id, 'shopify', 'new'), false);
  });

  test('the worker schedules the expiry job in Postgres and runs it', async () => {
    const { store } = await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: 'worker.example.com' });
    await recordDelivery(rt.db.pool, store.id, 'wix', 'stale');
    await rt.db.pool.query("UPDATE webhook_deliveries SET received_at = now() - interval '30 days' WHERE delivery_id = 'stale'");
    const worker = await startWorker(rt, { processEvery: 100, lockLifetimeMs: 2000 });
    try {
      const { rows } = await rt.db.pool.query<{ name: string; repeat_interval: string }>(
        'SELECT name, repeat_interval FROM agenda_jobs WHERE name = $1',
        [JobNames.expireDeliveries],
      );
      assert.equal(rows.length, 1, 'one recurring job row, however many workers start');
      assert.equal(rows[0]!.repeat_interval, '1 hour');
      // The connectors' own jobs come from their declarations, each on its own schedule.
      const declared = Object.values(rt.connectors).flatMap((c) => c?.scheduledJobs?.() ?? []);
      assert.ok(declared.some((j) => j.name === 'bigcommerce:hooks:check'));
      const scheduled = await rt.db.pool.query<{ name: string; repeat_interval: string }>('SELECT name, repeat_interval FROM agenda_jobs WHERE name = ANY($1)', [declared.map((j) => j.name)]);
      assert.deepEqual(
        scheduled.rows.map((r) => [r.name, r.repeat_interval]).sort(),
        declared.map((j) => [j.name, j.every]).sort(),
      );
      let left = 1;
      for (let i = 0; i < 100 && left > 0; i++) {
        await sleep(100);
        left = (await rt.db.pool.query("SELECT 1 FROM webhook_deliveries WHERE delivery_id = 'stale'")).rowCount ?? 0;
      }
      assert.equal(left, 0, 'the scheduled run removed the stale id');
    } finally {
      await worker.stop();
    }
  });
});
