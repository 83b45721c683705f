// "You left something behind" must not reach a shopper who ordered: "Placed Order since entry"
// counts from the Started Checkout event's own time, and an order that arrives late still stops
// the email before it is made. The engine runs over an injected clock.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { createStore } from '../src/stores/create-store.ts';
import { ingestEvents } from '../src/ingest/ingest-events.ts';
import { enqueueMessage } from '../src/messaging/outbox.ts';
import { processTriggerQueue } from '../src/flows/enter-flows.ts';
import { runFlowTick } from '../src/flows/tick.ts';
import { createApp } from '../src/web/app.ts';
import { createMessageDelivery } from '../src/jobs/deliver-messages.ts';
import type { EventInput } from '../src/model/event.ts';
import type { ExternalProductId, ProfileId, StoreId } from '../src/model/ids.ts';

const SECOND = 1000;
const HOUR = 3_600_000;

describe('abandoned checkout against the order', () => {
  let rt: TestRuntime;
  let app: ReturnType<typeof createApp>;
  // Whole seconds, so times survive the round trip through the database unchanged.
  const T = new Date(Math.floor(Date.now() / 60_000) * 60_000 - HOUR);
  const at = (ms: number) => new Date(T.getTime() + ms);

  before(async () => {
    rt = await testRuntime();
    app = createApp(rt);
  });
  after(async () => rt.dispose());

  const tick = (now: Date) => runFlowTick({ pool: rt.db.pool, config: rt.config, secrets: rt.secrets, logger: rt.logger }, { now });

  async function setUp(overrides: Record<string, unknown> = {}): Promise<{ storeId: StoreId; flowId: string; email: string }> {
    const created = await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: `ac-${randomUUID().slice(0, 8)}.example` });
    const res = await request(app).post('/api/v1/flows').set({ Authorization: `Bearer ${created.privateKey}` }).send({ preset: 'abandoned-checkout', status: 'live', ...overrides });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return { storeId: created.store.id, flowId: res.body.id as string, email: `shopper-${randomUUID().slice(0, 8)}@example.com` };
  }

  const ev = (email: string, metric: string, time: Date): EventInput => ({
    metric,
    profile: { email },
    time,
    value: 40,
    properties: { Items: [{ ProductID: 'p1', Quantity: 1, ItemPrice: 40 }] },
    items: [{ productExternalId: 'p1' as ExternalProductId, variantExternalId: null, quantity: 1, price: 40 }],
    uniqueId: randomUUID(),
  });

  async function outcome(storeId: StoreId, flowId: string) {
    const runs = await rt.db.pool.query<{ status: string; end_reason: string | null }>('SELECT status, end_reason FROM flow_runs WHERE store_id = $1 AND flow_id = $2', [storeId, flowId]);
    const messages = await rt.db.pool.query<{ status: string; reason: string | null }>('SELECT status, reason FROM messages WHERE store_id = $1 AND flow_id = $2', [storeId, flowId]);
    return { runs: runs.rows, messages: messages.rows };
  }

  test('an order half a second after the checkout, in before the run is made, exits the shopper', async () => {
    const { storeId, flowId, email } = await setUp();
    await ingestEvents(rt.db.pool, storeId, [ev(email, 'Started Checkout', T), ev(email, 'Placed Order', at(500))]);
    // The worker makes the run a second after the checkout.
    await processTriggerQueue(rt.db.pool, { now: at(1 * SECOND) });
    await tick(at(1 * SECOND));
    await tick(at(4 * HOUR + 2 * SECOND));
    const o = await outcome(storeId, flowId);
    assert.deepEqual(o.runs, [{ status: 'exited', end_reason: 'exit step' }]);
    assert.deepEqual(o.messages, []);
  });

  test('an order whose webhook lags behind the run still exits the shopper at the split', async () => {
    const { storeId, flowId, email } = await setUp();
    await ingestEvents(rt.db.pool, storeId, [ev(email, 'Started Checkout', T)]);
    await processTriggerQueue(rt.db.pool, { now: at(1 * SECOND) });
    await tick(at(1 * SECOND));
    // Placed at T+0.5 s, delivered minutes later.
    await ingestEvents(rt.db.pool, storeId, [ev(email, 'Placed Order', at(500))]);
    await processTriggerQueue(rt.db.pool, { now: at(5 * 60 * SECOND) });
    await tick(at(4 * HOUR + 2 * SECOND));
    const o = await outcome(storeId, flowId);
    assert.deepEqual(o.runs, [{ status: 'exited', end_reason: 'exit step' }]);
    assert.deepEqual(o.messages, []);
  });

  test('an order arriving between the split and the send stops the email', async () => {
    // Smart sending holds the email (the shopper had a message an hour before the checkout), so
    // the run waits at the email step after the split said "no order".
    const { storeId, flowId, email } = await setUp({ smartSending: { enabled: true, windowHours: 16, mode: 'hold' } });
    await ingestEvents(rt.db.pool, storeId, [ev(email, 'Started Checkout', T)]);
    const { rows } = await rt.db.pool.query<{ id: string }>('SELECT id FROM profiles WHERE store_id = $1 AND email = $2', [storeId, email]);
    const earlier = await enqueueMessage(rt.db.pool, {
      storeId, flowId: null, flowVersion: null, runId: null, stepId: null, profileId: rows[0]!.id as ProfileId, channel: 'email',
      to: email, subject: 'Earlier', html: '<p>Earlier</p>', text: null, dedupeKey: `earlier:${email}`, status: 'queued',
    });
    await rt.db.pool.query('UPDATE messages SET created_at = $2 WHERE id = $1', [earlier.id, at(-1 * HOUR)]);
    await processTriggerQueue(rt.db.pool, { now: at(1 * SECOND) });
    await tick(at(1 * SECOND));
    await tick(at(4 * HOUR + 2 * SECOND));
    const held = await rt.db.pool.query<{ current_step: string; next_at: Date }>('SELECT current_step, next_at FROM flow_runs WHERE store_id = $1 AND flow_id = $2', [storeId, flowId]);
    assert.equal(held.rows[0]!.current_step, 'email', 'the split said no order; the email waits for smart sending');
    // The order is placed (and arrives) after the split and before the email is made.
    await ingestEvents(rt.db.pool, storeId, [ev(email, 'Placed Order', at(5 * HOUR))]);
    await processTriggerQueue(rt.db.pool, { now: at(5 * HOUR) });
    await tick(held.rows[0]!.next_at);
    const o = await outcome(storeId, flowId);
    assert.deepEqual(o.runs, [{ status: 'exited', end_reason: 'Placed Order since entry' }]);
    assert.deepEqual(o.messages, [{ status: 'skipped', reason: 'Placed Order since entry' }]);
  });

  test('an order arriving after the email is made but before it goes out stops it at delivery', async () => {
    const { storeId, flowId, email } = await setUp();
    await ingestEvents(rt.db.pool, storeId, [ev(email, 'Started Checkout', T)]);
    await processTriggerQueue(rt.db.pool, { now: at(1 * SECOND) });
    await tick(at(1 * SECOND));
    await tick(at(4 * HOUR + 2 * SECOND));
    assert.deepEqual((await outcome(storeId, flowId)).messages, [{ status: 'queued', reason: null }]);
    // Placed a minute before the split ran; its webhook lands after the email was queued.
    await ingestEvents(rt.db.pool, storeId, [ev(email, 'Placed Order', at(4 * HOUR - 60 * SECOND))]);
    const delivery = createMessageDelivery(rt, () => at(4 * HOUR + 5 * SECOND));
    try {
      await delivery.run();
    } finally {
      delivery.close();
    }
    assert.deepEqual((await outcome(storeId, flowId)).messages, [{ status: 'skipped', reason: 'Placed Order since entry' }]);
  });

  test('without an order the email is made', async () => {
    const { storeId, flowId, email } = await setUp();
    await ingestEvents(rt.db.pool, storeId, [ev(email, 'Started Checkout', T), ev(email, 'Placed Order', at(-2 * HOUR))]);
    await processTriggerQueue(rt.db.pool, { now: at(1 * SECOND) });
    await tick(at(1 * SECOND));
    await tick(at(4 * HOUR + 2 * SECOND));
    const o = await outcome(storeId, flowId);
    assert.deepEqual(o.messages, [{ status: 'queued', reason: null }], 'an order from before the checkout does not count');
  });
});
