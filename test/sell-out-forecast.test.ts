// The sell-out forecast trigger with an injected clock: velocity from Ordered Product quantities
// over the flow's window, fired once per episode (from a stock change through the trigger queue
// and from the schedule), the episode ending on a restock or a sell-out, the forecast re-read
// before each message, and product.forecastHours in the template.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { createStore } from '../src/stores/create-store.ts';
import { createApp } from '../src/web/app.ts';
import { ingestCatalog } from '../src/ingest/ingest-catalog.ts';
import { ingestEvents } from '../src/ingest/ingest-events.ts';
import { ingestProfiles } from '../src/ingest/ingest-profiles.ts';
import { runSellOutForecastJob, runTickJob, runTriggerJob } from '../src/jobs/flow-jobs.ts';
import type { ProductInput } from '../src/model/catalog.ts';
import type { EventInput } from '../src/model/event.ts';
import type { ExternalProductId, StoreId } from '../src/model/ids.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('sell-out forecast', () => {
  let rt: TestRuntime;
  let app: ReturnType<typeof createApp>;
  let storeId: StoreId;
  let auth: { Authorization: string };
  let flowId: string;
  // The clock every job and write below runs on.
  const T0 = new Date(Math.floor(Date.now() / HOUR) * HOUR);
  let now = T0;
  const clock = () => now;

  const mug = (qty: number): ProductInput => ({
    externalId: 'mug' as ExternalProductId,
    title: 'Stoneware Mug',
    url: 'https://shop.example.com/mug',
    price: 24,
    inventoryTracking: 'product',
    inventoryQuantity: qty,
    variants: [],
    updatedAt: now,
  });
  const stockTo = async (qty: number) => {
    await ingestCatalog(rt.db.pool, storeId, [mug(qty)], { now });
    await runTriggerJob(rt, clock);
  };
  const ev = (email: string, metric: string, id: string, daysAgo: number, quantity = 1): EventInput => ({
    metric,
    profile: { email },
    time: new Date(T0.getTime() - daysAgo * DAY),
    value: 24 * quantity,
    properties: {},
    items: [{ productExternalId: 'mug' as ExternalProductId, variantExternalId: null, quantity, price: 24 }],
    uniqueId: id,
  });
  const runs = async () =>
    (await rt.db.pool.query<{ key: string }>('SELECT key FROM flow_runs WHERE flow_id = $1 ORDER BY entered_at, key', [flowId])).rows.map((r) => r.key);
  const messages = async () =>
    (await rt.db.pool.query<{ status: string; reason: string | null; html: string | null }>(
      'SELECT status, reason, html FROM messages WHERE flow_id = $1 ORDER BY created_at', [flowId])).rows;
  const episodes = async () =>
    (await rt.db.pool.query<{ end_reason: string | null; open: boolean }>(
      'SELECT end_reason, ended_at IS NULL AS open FROM sell_out_episodes WHERE store_id = $1 ORDER BY id', [storeId])).rows;

  before(async () => {
    rt = await testRuntime({ env: { SHOPIFY_API_KEY: 'test-key', SHOPIFY_API_SECRET: 'test-secret' } });
    app = createApp(rt);
    const created = await createStore(rt.db.pool, rt.secrets, { platform: 'shopify', domain: 'forecast-shop.myshopify.com' });
    storeId = created.store.id;
    auth = { Authorization: `Bearer ${created.privateKey}` };
    await ingestCatalog(rt.db.pool, storeId, [mug(20)], { now });
    await ingestProfiles(rt.db.pool, storeId, [
      { email: 'viewer@example.com', firstName: 'Vi', consent: { email: 'subscribed' } },
      { email: 'buyer@example.com', consent: { email: 'subscribed' } },
    ]);
    // 14 sold in the last week (2 a day), one order of 30 ten days ago outside the window.
    await ingestEvents(rt.db.pool, storeId, [
      ev('viewer@example.com', 'Viewed Product', 'view', 1),
      ev('buyer@example.com', 'Viewed Product', 'buyer-view', 1),
      ev('buyer@example.com', 'Ordered Product', 'o1', 1, 7),
      ev('buyer@example.com', 'Ordered Product', 'o2', 3, 7),
      ev('buyer@example.com', 'Ordered Product', 'o3', 10, 30),
    ]);
    await runTriggerJob(rt, clock);
    const res = await request(app).post('/api/v1/flows').set(auth).send({ preset: 'sell-out-forecast', status: 'live', trigger: { withinHours: 48 } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    flowId = res.body.id;
  });
  after(async () => rt.dispose());

  test('20 in stock at 2 a day lasts 240 hours: nothing fires, on the schedule or otherwise', async () => {
    assert.equal(await runSellOutForecastJob(rt, clock), 0);
    await stockTo(10);
    assert.deepEqual(await runs(), []);
  });

  test('a fall to 4 (48 hours) fires once for viewers, not buyers; later falls and the schedule do not fire again', async () => {
    await stockTo(4);
    const first = await runs();
    assert.equal(first.length, 1);
    assert.match(first[0]!, /^sell-out-forecast:\d+:/);
    await stockTo(3);
    now = new Date(T0.getTime() + HOUR);
    assert.equal(await runSellOutForecastJob(rt, clock), 0);
    assert.deepEqual(await runs(), first);
    assert.deepEqual(await episodes(), [{ end_reason: null, open: true }]);

    await runTickJob(rt, clock);
    const [msg] = await messages();
    assert.equal(msg!.status, 'queued');
    // 3 left at 2 a day: 36 hours.
    assert.match(msg!.html!, /the last 3 are expected to be gone within 36 hours/);
  });

  test('a restock ends the episode; the next run-down fires again, and the forecast is re-read before the message', async () => {
    await stockTo(30);
    assert.deepEqual(await episodes(), [{ end_reason: 'restocked', open: false }]);
    await stockTo(4);
    assert.equal((await runs()).length, 2);
    await stockTo(50);
    await runTickJob(rt, clock);
    const last = (await messages()).at(-1)!;
    assert.equal(last.status, 'skipped');
    assert.equal(last.reason, 'no longer forecast to sell out');
  });

  test('selling out ends the episode and skips the message with that reason', async () => {
    await stockTo(4);
    assert.equal((await runs()).length, 3);
    await stockTo(0);
    assert.equal((await episodes()).at(-1)!.end_reason, 'sold out');
    await runTickJob(rt, clock);
    const last = (await messages()).at(-1)!;
    assert.equal(last.status, 'skipped');
    assert.equal(last.reason, 'sold out');
  });

  test('with no sales left in the window there is no forecast and nothing fires', async () => {
    now = new Date(T0.getTime() + 8 * DAY);
    await stockTo(1);
    assert.equal(await runSellOutForecastJob(rt, clock), 0);
    assert.equal((await runs()).length, 3);
  });
});
