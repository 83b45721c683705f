// The webhook route's write: store lookup and inbox insert as one statement for a batch of
// requests, and the group commit that forms those batches.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { createStore } from '../src/stores/create-store.ts';
import { markUninstalled } from '../src/db/repositories/stores.ts';
import { enqueueDeliveries, type IntakeItem } from '../src/db/repositories/webhook-inbox.ts';
import { coalesceCalls } from '../src/util/coalesce-calls.ts';

const item = (shop: string, deliveryId: string, extra: Partial<IntakeItem> = {}): IntakeItem => ({
  shop,
  deliveryId,
  topic: 'products/update',
  payload: { id: 1 },
  acceptWhileUninstalled: false,
  ...extra,
});

describe('webhook intake', () => {
  let rt: TestRuntime;
  before(async () => {
    rt = await testRuntime();
  });
  after(async () => rt.dispose());

  test('one statement answers each delivery of a mixed batch as the route needs it', async () => {
    const live = (await createStore(rt.db.pool, rt.secrets, { platform: 'shopify', domain: 'live.myshopify.com' })).store;
    const gone = (await createStore(rt.db.pool, rt.secrets, { platform: 'shopify', domain: 'gone.myshopify.com' })).store;
    await markUninstalled(rt.db.pool, gone.id);
    assert.deepEqual((await enqueueDeliveries(rt.db.pool, 'shopify', [item('live.myshopify.com', 'seen-before')]))[0]?.status, 'queued');

    const results = await enqueueDeliveries(rt.db.pool, 'shopify', [
      item('live.myshopify.com', 'a'),
      item('live.myshopify.com', 'a'), // a copy in the same batch
      item('live.myshopify.com', 'seen-before'),
      item('nobody.myshopify.com', 'b'),
      item('gone.myshopify.com', 'c'),
      item('gone.myshopify.com', 'd', { topic: 'shop/redact', acceptWhileUninstalled: true }),
      item('live.myshopify.com', 'e', { payload: null }),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['queued', 'duplicate', 'duplicate', 'unknown-shop', 'uninstalled', 'queued', 'queued'],
    );
    assert.equal(results[0]!.storeId, live.id);
    assert.equal(results[5]!.storeId, gone.id);

    const { rows } = await rt.db.pool.query<{ delivery_id: string; topic: string; payload: unknown }>(
      'SELECT delivery_id, topic, payload FROM webhook_inbox ORDER BY id',
    );
    assert.deepEqual(
      rows.map((r) => [r.delivery_id, r.topic, r.payload]),
      [
        ['seen-before', 'products/update', { id: 1 }],
        ['a', 'products/update', { id: 1 }],
        ['d', 'shop/redact', { id: 1 }],
        ['e', 'products/update', null],
      ],
    );
  });

  test('dedupe is per topic: one id on two topics is two deliveries; the same id and topic again is a duplicate', async () => {
    await createStore(rt.db.pool, rt.secrets, { platform: 'shopify', domain: 'topics.myshopify.com' });
    // Shopify's X-Shopify-Event-Id names the event; one change can fire several topics.
    const first = await enqueueDeliveries(rt.db.pool, 'shopify', [
      item('topics.myshopify.com', 'evt-1', { topic: 'products/update' }),
      item('topics.myshopify.com', 'evt-1', { topic: 'inventory_levels/update' }),
    ]);
    assert.deepEqual(first.map((r) => r.status), ['queued', 'queued']);
    const again = await enqueueDeliveries(rt.db.pool, 'shopify', [
      item('topics.myshopify.com', 'evt-1', { topic: 'inventory_levels/update' }),
      item('topics.myshopify.com', 'evt-1', { topic: 'products/update' }),
    ]);
    assert.deepEqual(again.map((r) => r.status), ['duplicate', 'duplicate']);
  });

  test('coalesced calls: callers that queue while a write is in flight share the next write', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    let gate: Promise<void> = new Promise((r) => (release = r));
    const gc = coalesceCalls<number, number>(
      async (items) => {
        batches.push(items);
        await gate;
        return items.map((n) => n * 10);
      },
      { maxBatch: 3, maxInFlight: 1 },
    );
    const answers = [1, 2, 3, 4, 5].map((n) => gc.submit(n));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(batches, [[1]], 'an idle caller is written at once');
    gate = Promise.resolve();
    release();
    assert.deepEqual(await Promise.all(answers), [10, 20, 30, 40, 50]);
    assert.deepEqual(batches, [[1], [2, 3, 4], [5]], 'the rest went in batches of at most maxBatch');
  });

  test('coalesced calls: a failing batch is retried item by item, so only the bad item fails', async () => {
    const gc = coalesceCalls<number, number>(
      async (items) => {
        await new Promise((r) => setImmediate(r));
        if (items.includes(3)) throw new Error(`cannot write 3 (batch of ${items.length})`);
        return items;
      },
      { maxBatch: 10, maxInFlight: 1 },
    );
    const settled = await Promise.allSettled([1, 2, 3, 4].map((n) => gc.submit(n)));
    assert.deepEqual(
      settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message)),
      [1, 2, 'cannot write 3 (batch of 1)', 4],
    );
  });
});
