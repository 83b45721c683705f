// The event write path on both database modes: retries, duplicates and concurrent webhook
// deliveries must each store an event once, and profiles and items must resolve the same way.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import type { z } from 'zod';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { createStore } from '../src/stores/create-store.ts';
import { ingestEvents, deriveUniqueId } from '../src/ingest/ingest-events.ts';
import { findStoreById, updateEventMapping } from '../src/db/repositories/stores.ts';
import { EventMapping } from '../src/model/store.ts';
import type { EventInput } from '../src/model/event.ts';
import type { StoreId } from '../src/model/ids.ts';
import { EventItem } from '../connectors/custom/payload-schemas.ts';
import { toEventInput } from '../connectors/custom/normalise-events.ts';
import { createApp } from '../src/web/app.ts';

type RawEvent = z.input<typeof EventItem>;

const DEFAULT_MAPPING = EventMapping.parse({});
const RECEIVED = new Date('2026-02-01T12:00:00.000Z');

// The same normalisation the API and connectors apply, so identities are validated and
// lower-cased exactly as in production.
function events(raw: RawEvent[], mapping: EventMapping = DEFAULT_MAPPING): EventInput[] {
  return raw.map((e) => toEventInput(EventItem.parse(e), mapping, RECEIVED));
}

type EventRow = { id: number; metric: string; unique_id: string; profile_id: string; value: number | null };
type ItemRow = { unique_id: string; position: number; product_external_id: string | null; variant_external_id: string | null; quantity: number; price: number | null };

function eventSuite({ embedded }: { embedded: boolean }): void {
  let rt: TestRuntime;

  before(async () => {
    rt = await testRuntime({ embedded });
  });
  after(async () => {
    await rt.dispose();
  });

  async function newStore(): Promise<{ storeId: StoreId; privateKey: string }> {
    const created = await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: `ev-${randomBytes(5).toString('hex')}.example` });
    return { storeId: created.store.id, privateKey: created.privateKey };
  }

  async function storedEvents(storeId: StoreId): Promise<EventRow[]> {
    const { rows } = await rt.db.pool.query<EventRow>(
      'SELECT id, metric, unique_id, profile_id, value FROM events WHERE store_id = $1 ORDER BY id',
      [storeId],
    );
    return rows;
  }

  async function storedItems(storeId: StoreId): Promise<ItemRow[]> {
    const { rows } = await rt.db.pool.query<ItemRow>(
      `SELECT e.unique_id, i.position, i.product_external_id, i.variant_external_id, i.quantity, i.price
       FROM event_items i JOIN events e ON e.store_id = i.store_id AND e.id = i.event_id
       WHERE i.store_id = $1 ORDER BY e.unique_id, i.position`,
      [storeId],
    );
    return rows;
  }

  async function profileCount(storeId: StoreId): Promise<number> {
    const { rows } = await rt.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM profiles WHERE store_id = $1', [storeId]);
    return rows[0]!.n;
  }

  test('a batch delivered twice is accepted once and reported as duplicates the second time', async () => {
    const { storeId } = await newStore();
    const batch = events([
      { metric: 'Viewed Product', profile: { email: 'ann@example.com' }, uniqueId: 'u-1', properties: { ProductID: 'p1' } },
      { metric: 'Added to Cart', profile: { email: 'ann@example.com' }, uniqueId: 'u-2', properties: { ProductID: 'p1' } },
      { metric: 'Placed Order', profile: { email: 'ann@example.com' }, uniqueId: 'u-3', value: 42.5 },
    ]);
    assert.deepEqual(await ingestEvents(rt.db.pool, storeId, batch), { accepted: 3, duplicates: 0, duplicateDelivery: false });
    const afterFirst = await storedEvents(storeId);
    const itemsAfterFirst = await storedItems(storeId);
    assert.deepEqual(await ingestEvents(rt.db.pool, storeId, batch), { accepted: 0, duplicates: 3, duplicateDelivery: false });
    assert.deepEqual(await storedEvents(storeId), afterFirst);
    assert.deepEqual(await storedItems(storeId), itemsAfterFirst, 'no item is stored twice either');
    assert.deepEqual(afterFirst.map((e) => [e.unique_id, e.metric, e.value]), [
      ['u-1', 'Viewed Product', null],
      ['u-2', 'Added to Cart', null],
      ['u-3', 'Placed Order', 42.5],
    ]);
  });

  test('a partly new batch accepts only the new events', async () => {
    const { storeId } = await newStore();
    await ingestEvents(rt.db.pool, storeId, events([{ metric: 'Viewed Product', profile: { email: 'bo@example.com' }, uniqueId: 'a' }]));
    const result = await ingestEvents(
      rt.db.pool,
      storeId,
      events([
        { metric: 'Viewed Product', profile: { email: 'bo@example.com' }, uniqueId: 'a' },
        { metric: 'Viewed Product', profile: { email: 'bo@example.com' }, uniqueId: 'b' },
      ]),
    );
    assert.deepEqual(result, { accepted: 1, duplicates: 1, duplicateDelivery: false });
    assert.deepEqual((await storedEvents(storeId)).map((e) => e.unique_id), ['a', 'b']);
  });

  test('events without a uniqueId are deduped by a hash of their content', async () => {
    const { storeId } = await newStore();
    const raw: RawEvent[] = [
      { metric: 'Viewed Product', profile: { email: 'cy@example.com' }, time: '2026-01-05T09:00:00Z', properties: { ProductID: 'p9' } },
      { metric: 'Viewed Product', profile: { email: 'cy@example.com' }, time: '2026-01-05T09:05:00Z', properties: { ProductID: 'p9' } },
    ];
    assert.deepEqual(await ingestEvents(rt.db.pool, storeId, events(raw)), { accepted: 2, duplicates: 0, duplicateDelivery: false });
    assert.deepEqual(await ingestEvents(rt.db.pool, storeId, events(raw)), { accepted: 0, duplicates: 2, duplicateDelivery: false });
    const stored = await storedEvents(storeId);
    assert.equal(stored.length, 2);
    assert.deepEqual(stored.map((e) => e.unique_id), events(raw).map(deriveUniqueId));
    assert.ok(stored.every((e) => e.unique_id.startsWith('h:')));
  });

  test('duplicates inside one batch are stored once', async () => {
    const { storeId } = await newStore();
    const same: RawEvent = { metric: 'Started Checkout', profile: { phone: '+14155550100' }, uniqueId: 'co-1', properties: { Items: [{ ProductID: 'p1' }] } };
    const hashed: RawEvent = { metric: 'Viewed Product', profile: { phone: '+14155550100' }, time: '2026-01-06T00:00:00Z' };
    const result = await ingestEvents(rt.db.pool, storeId, events([same, same, hashed, hashed, same]));
    assert.deepEqual(result, { accepted: 2, duplicates: 3, duplicateDelivery: false });
    assert.equal((await storedEvents(storeId)).length, 2);
    assert.equal((await storedItems(storeId)).length, 1);
  });

  test('profiles are resolved by email (any case), phone or external id and shared across events', async () => {
    const { storeId } = await newStore();
    await ingestEvents(
      rt.db.pool,
      storeId,
      events([
        { metric: 'Viewed Product', profile: { email: 'Dana@Example.COM' }, uniqueId: 'e1' },
        { metric: 'Viewed Product', profile: { email: 'dana@example.com' }, uniqueId: 'e2' },
        { metric: 'Viewed Product', profile: { phone: '+1 (415) 555-0101' }, uniqueId: 'p1' },
        { metric: 'Viewed Product', profile: { phone: '+14155550101' }, uniqueId: 'p2' },
        { metric: 'Viewed Product', profile: { externalId: 'cust-7' }, uniqueId: 'x1' },
      ]),
    );
    // A later call finds the same people rather than creating them again.
    await ingestEvents(
      rt.db.pool,
      storeId,
      events([
        { metric: 'Placed Order', profile: { email: 'DANA@example.com' }, uniqueId: 'e3' },
        { metric: 'Placed Order', profile: { externalId: 'cust-7' }, uniqueId: 'x2' },
      ]),
    );
    const stored = await storedEvents(storeId);
    const profileOf = (uniqueId: string) => stored.find((e) => e.unique_id === uniqueId)!.profile_id;
    assert.equal(profileOf('e1'), profileOf('e2'));
    assert.equal(profileOf('e1'), profileOf('e3'));
    assert.equal(profileOf('p1'), profileOf('p2'));
    assert.equal(profileOf('x1'), profileOf('x2'));
    assert.equal(new Set(stored.map((e) => e.profile_id)).size, 3);
    assert.equal(await profileCount(storeId), 3);

    const { rows } = await rt.db.pool.query<{ email: string | null; phone: string | null; external_id: string | null }>(
      'SELECT email, phone, external_id FROM profiles WHERE store_id = $1 ORDER BY email NULLS LAST, phone NULLS LAST',
      [storeId],
    );
    assert.deepEqual(rows, [
      { email: 'dana@example.com', phone: null, external_id: null },
      { email: null, phone: '+14155550101', external_id: null },
      { email: null, phone: null, external_id: 'cust-7' },
    ]);
  });

  test('the same identity in two stores gives two separate profiles', async () => {
    const a = await newStore();
    const b = await newStore();
    const batch = events([{ metric: 'Viewed Product', profile: { email: 'eve@example.com' }, uniqueId: 'same' }]);
    await ingestEvents(rt.db.pool, a.storeId, batch);
    assert.deepEqual(await ingestEvents(rt.db.pool, b.storeId, batch), { accepted: 1, duplicates: 0, duplicateDelivery: false });
    const [ea] = await storedEvents(a.storeId);
    const [eb] = await storedEvents(b.storeId);
    assert.notEqual(ea!.profile_id, eb!.profile_id);
  });

  test('Started Checkout stores one item per entry of its Items list', async () => {
    const { storeId } = await newStore();
    await ingestEvents(
      rt.db.pool,
      storeId,
      events([
        {
          metric: 'Started Checkout',
          profile: { email: 'fay@example.com' },
          uniqueId: 'checkout-1',
          value: 57,
          properties: {
            Items: [
              { ProductID: 'p1', VariantID: 'v1', Quantity: 2, ItemPrice: 12.5 },
              { ProductID: 102, VariantID: 'v2', Quantity: '3', ItemPrice: '7' },
              { Note: 'no product id: skipped' },
              { ProductID: 'p3' },
            ],
          },
        },
      ]),
    );
    assert.deepEqual(
      (await storedItems(storeId)).map(({ position, product_external_id, variant_external_id, quantity, price }) => ({ position, product_external_id, variant_external_id, quantity, price })),
      [
        { position: 0, product_external_id: 'p1', variant_external_id: 'v1', quantity: 2, price: 12.5 },
        { position: 1, product_external_id: '102', variant_external_id: 'v2', quantity: 3, price: 7 },
        { position: 2, product_external_id: 'p3', variant_external_id: null, quantity: 1, price: null },
      ],
    );
  });

  test('Viewed Product stores its single item from ProductID, VariantID and Price', async () => {
    const { storeId } = await newStore();
    await ingestEvents(
      rt.db.pool,
      storeId,
      events([
        { metric: 'Viewed Product', profile: { email: 'gil@example.com' }, uniqueId: 'view-1', properties: { ProductID: 'p5', VariantID: 'v51', Price: 19.9 } },
        { metric: 'Viewed Product', profile: { email: 'gil@example.com' }, uniqueId: 'view-2', properties: { Title: 'no ids' } },
      ]),
    );
    assert.deepEqual(await storedItems(storeId), [
      { unique_id: 'view-1', position: 0, product_external_id: 'p5', variant_external_id: 'v51', quantity: 1, price: 19.9 },
    ]);
    assert.equal((await storedEvents(storeId)).length, 2, 'an event naming no product is still stored');
  });

  test('an item price the money column cannot hold is stored as unknown, the event kept', async () => {
    const { storeId } = await newStore();
    const result = await ingestEvents(
      rt.db.pool,
      storeId,
      events([
        { metric: 'Viewed Product', profile: { email: 'gus@example.com' }, uniqueId: 'big-view', properties: { ProductID: 'p1', Price: 1e15 } },
        { metric: 'Started Checkout', profile: { email: 'gus@example.com' }, uniqueId: 'big-checkout', properties: { Items: [{ ProductID: 'p2', ItemPrice: -5e12 }, { ProductID: 'p3', ItemPrice: 999_999_999_999.99 }] } },
      ]),
    );
    assert.equal(result.accepted, 2);
    assert.deepEqual(
      (await storedItems(storeId)).map((i) => [i.product_external_id, i.price]),
      [
        ['p2', null],
        ['p3', 999_999_999_999.99],
        ['p1', null],
      ],
    );
  });

  test('a per-store mapping renames metrics and reads ids and prices from custom paths', async () => {
    const { storeId } = await newStore();
    await updateEventMapping(
      rt.db.pool,
      storeId,
      EventMapping.parse({
        metricAliases: { 'Product Viewed': 'Viewed Product', 'Checkout Begun': 'Started Checkout' },
        productId: 'product.id',
        variantId: 'product.variant',
        price: 'product.price',
        items: 'cart.lines',
        itemProductId: 'sku_parent',
        itemQuantity: 'qty',
        itemPrice: 'unit',
      }),
    );
    const store = await findStoreById(rt.db.pool, storeId);
    assert.ok(store);
    const result = await ingestEvents(
      rt.db.pool,
      storeId,
      events(
        [
          { metric: 'Product Viewed', profile: { email: 'hal@example.com' }, uniqueId: 'm-view', properties: { product: { id: 'P-1', variant: 'V-1', price: '9.50' }, ProductID: 'ignored' } },
          { metric: 'Checkout Begun', profile: { email: 'hal@example.com' }, uniqueId: 'm-checkout', properties: { cart: { lines: [{ sku_parent: 'P-1', qty: 4, unit: 9.5 }, { sku_parent: 'P-2' }] } } },
        ],
        store.eventMapping,
      ),
    );
    assert.equal(result.accepted, 2);
    assert.deepEqual((await storedEvents(storeId)).map((e) => [e.unique_id, e.metric]), [
      ['m-view', 'Viewed Product'],
      ['m-checkout', 'Started Checkout'],
    ]);
    assert.deepEqual(
      (await storedItems(storeId)).map((i) => [i.unique_id, i.product_external_id, i.variant_external_id, i.quantity, i.price]),
      [
        ['m-checkout', 'P-1', null, 4, 9.5],
        ['m-checkout', 'P-2', null, 1, null],
        ['m-view', 'P-1', 'V-1', 1, 9.5],
      ],
    );
  });

  test('the events API applies the store mapping it reads at request time', async () => {
    const { storeId, privateKey } = await newStore();
    await updateEventMapping(
      rt.db.pool,
      storeId,
      EventMapping.parse({ metricAliases: { 'Item Seen': 'Viewed Product' }, productId: 'product.id' }),
    );
    const res = await request(createApp(rt))
      .post('/api/v1/events')
      .set('Authorization', `Bearer ${privateKey}`)
      .send({ events: [{ metric: 'Item Seen', profile: { email: 'ida@example.com' }, uniqueId: 'api-1', properties: { product: { id: 'P-77' } } }] });
    assert.equal(res.status, 202);
    assert.deepEqual(res.body, { accepted: 1, duplicates: 0 });
    assert.deepEqual((await storedEvents(storeId)).map((e) => e.metric), ['Viewed Product']);
    assert.deepEqual((await storedItems(storeId)).map((i) => i.product_external_id), ['P-77']);
  });

  test('a webhook delivery id is acted on once', async () => {
    const { storeId } = await newStore();
    const delivery = { source: 'test-hook', id: 'delivery-1' };
    const batch = events([
      { metric: 'Placed Order', profile: { email: 'jo@example.com' }, time: '2026-01-07T10:00:00Z', value: 10, properties: { Items: [{ ProductID: 'p1' }] } },
    ]);
    assert.deepEqual(await ingestEvents(rt.db.pool, storeId, batch, { delivery }), { accepted: 1, duplicates: 0, duplicateDelivery: false });
    const second = await ingestEvents(rt.db.pool, storeId, batch, { delivery });
    assert.equal(second.duplicateDelivery, true);
    assert.equal(second.accepted, 0);
    assert.equal((await storedEvents(storeId)).length, 1);
    assert.equal((await storedItems(storeId)).length, 1);
    const { rows } = await rt.db.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM webhook_deliveries WHERE store_id = $1 AND source = $2 AND delivery_id = $3',
      [storeId, delivery.source, delivery.id],
    );
    assert.equal(rows[0]!.n, 1);
  });

  test('a failed delivery leaves its id unrecorded so the platform retry is processed', async () => {
    const { storeId } = await newStore();
    const delivery = { source: 'test-hook', id: 'delivery-retry' };
    const [good] = events([{ metric: 'Placed Order', profile: { email: 'kim@example.com' }, uniqueId: 'order-1', properties: { Items: [{ ProductID: 'p1' }] } }]);
    // An item quantity past the integer column fails the insert inside the transaction.
    const broken: EventInput = { ...good!, items: [{ ...good!.items[0]!, quantity: 3_000_000_000 }] };
    await assert.rejects(ingestEvents(rt.db.pool, storeId, [broken], { delivery }), /out of range/);
    assert.equal((await storedEvents(storeId)).length, 0, 'the event row went with the failed item');
    assert.equal(await profileCount(storeId), 0);

    assert.deepEqual(await ingestEvents(rt.db.pool, storeId, [good!], { delivery }), { accepted: 1, duplicates: 0, duplicateDelivery: false });
    assert.equal((await storedItems(storeId)).length, 1);
  });

  test('ten concurrent copies of one delivery store it once', async () => {
    const { storeId } = await newStore();
    const delivery = { source: 'test-hook', id: 'delivery-concurrent' };
    const batch = events([
      { metric: 'Started Checkout', profile: { email: 'lee@example.com' }, time: '2026-01-08T10:00:00Z', properties: { Items: [{ ProductID: 'p1' }, { ProductID: 'p2' }] } },
      { metric: 'Viewed Product', profile: { phone: '+14155550199' }, time: '2026-01-08T10:01:00Z', properties: { ProductID: 'p3' } },
    ]);
    const results = await Promise.all(Array.from({ length: 10 }, () => ingestEvents(rt.db.pool, storeId, batch, { delivery })));
    assert.equal(results.filter((r) => !r.duplicateDelivery).length, 1);
    assert.equal(results.filter((r) => r.duplicateDelivery).length, 9);
    assert.equal(results.reduce((n, r) => n + r.accepted, 0), 2);
    assert.equal((await storedEvents(storeId)).length, 2);
    assert.equal((await storedItems(storeId)).length, 3);
    assert.equal(await profileCount(storeId), 2);
  });

  test('concurrent calls with the same events and no delivery id still store each event once', async () => {
    const { storeId } = await newStore();
    const batch = events([
      { metric: 'Viewed Product', profile: { email: 'max@example.com' }, uniqueId: 'race-1', properties: { ProductID: 'p1' } },
      { metric: 'Viewed Product', profile: { email: 'max@example.com' }, uniqueId: 'race-2', properties: { ProductID: 'p2' } },
    ]);
    const results = await Promise.all(Array.from({ length: 6 }, () => ingestEvents(rt.db.pool, storeId, batch)));
    assert.equal(results.reduce((n, r) => n + r.accepted, 0), 2);
    assert.equal(results.reduce((n, r) => n + r.duplicates, 0), 10);
    assert.equal((await storedEvents(storeId)).length, 2);
    assert.equal((await storedItems(storeId)).length, 2);
    assert.equal(await profileCount(storeId), 1);
  });
}

describe('event ingest on PostgreSQL', () => eventSuite({ embedded: false }));
describe('event ingest on embedded PGlite', () => eventSuite({ embedded: true }));
