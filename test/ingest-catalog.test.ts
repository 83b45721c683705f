// The catalog write path, run against both database modes the app supports: the same
// guarantees (idempotent retries, no stock rollback, complete variant lists, atomic batches)
// must hold whether a merchant runs on a real server or the embedded database.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { createStore } from '../src/stores/create-store.ts';
import { ingestCatalog } from '../src/ingest/ingest-catalog.ts';
import { findProductByExternalId, listProducts } from '../src/db/repositories/catalog.ts';
import { ProductInput } from '../src/model/catalog.ts';
import type { StoreId } from '../src/model/ids.ts';

type RawProduct = z.input<typeof ProductInput>;

const T1 = new Date('2026-01-01T10:00:00.000Z');
const T2 = new Date('2026-01-01T11:00:00.000Z');

function products(...raw: RawProduct[]): ProductInput[] {
  return raw.map((p) => ProductInput.parse(p));
}

type ProductRow = { external_id: string; title: string; price: number | null; inventory_quantity: number | null; source_updated_at: Date; deleted_at: Date | null };
type VariantRow = { external_id: string; inventory_quantity: number | null; deleted_at: Date | null; price: number | null };
type ObservationRow = { level: string; product_external_id: string; variant_external_id: string | null; old_quantity: number | null; new_quantity: number | null; source_updated_at: Date };

function catalogSuite({ embedded }: { embedded: boolean }): void {
  let rt: TestRuntime;

  before(async () => {
    rt = await testRuntime({ embedded });
  });
  after(async () => {
    await rt.dispose();
  });

  // A store per test keeps row counts and queued triggers independent of test order.
  async function newStore(): Promise<StoreId> {
    const { store } = await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: `cat-${randomBytes(5).toString('hex')}.example` });
    return store.id;
  }

  /** What the write handed to flows: its rows on the trigger queue, with the observation each names. */
  async function queuedTriggers(storeId: StoreId): Promise<Array<{ kind: string; product: string; old: number | null; new: number | null }>> {
    const { rows } = await rt.db.pool.query<{ kind: string; product: string; old: number | null; new: number | null }>(
      `SELECT q.kind, p.external_id AS product, o.old_quantity AS old, o.new_quantity AS new
       FROM flow_trigger_queue q
       JOIN inventory_observations o ON o.store_id = q.store_id AND o.id = q.observation_id
       JOIN products p ON p.store_id = o.store_id AND p.id = o.product_id
       WHERE q.store_id = $1 ORDER BY q.id`,
      [storeId],
    );
    return rows;
  }

  async function productRows(storeId: StoreId): Promise<ProductRow[]> {
    const { rows } = await rt.db.pool.query<ProductRow>(
      'SELECT external_id, title, price, inventory_quantity, source_updated_at, deleted_at FROM products WHERE store_id = $1 ORDER BY external_id',
      [storeId],
    );
    return rows;
  }

  async function variantRows(storeId: StoreId, productExternalId: string): Promise<VariantRow[]> {
    const { rows } = await rt.db.pool.query<VariantRow>(
      `SELECT v.external_id, v.inventory_quantity, v.deleted_at, v.price FROM variants v
       JOIN products p ON p.store_id = v.store_id AND p.id = v.product_id
       WHERE v.store_id = $1 AND p.external_id = $2 ORDER BY v.external_id`,
      [storeId, productExternalId],
    );
    return rows;
  }

  async function observations(storeId: StoreId): Promise<ObservationRow[]> {
    const { rows } = await rt.db.pool.query<ObservationRow>(
      `SELECT o.level, p.external_id AS product_external_id, v.external_id AS variant_external_id,
         o.old_quantity, o.new_quantity, o.source_updated_at
       FROM inventory_observations o
       JOIN products p ON p.store_id = o.store_id AND p.id = o.product_id
       LEFT JOIN variants v ON v.store_id = o.store_id AND v.id = o.variant_id
       WHERE o.store_id = $1 ORDER BY o.id`,
      [storeId],
    );
    return rows;
  }

  test('the same batch delivered twice is stored once and records no second observation', async () => {
    const storeId = await newStore();
    const batch = products(
      {
        externalId: 'shirt',
        title: 'Shirt',
        price: 20,
        inventoryTracking: 'variant',
        updatedAt: T1.toISOString(),
        variants: [
          { externalId: 'shirt-s', sku: 'S', inventoryQuantity: 3 },
          { externalId: 'shirt-m', sku: 'M', inventoryQuantity: 4 },
        ],
      },
      { externalId: 'mug', title: 'Mug', inventoryTracking: 'product', inventoryQuantity: 9, updatedAt: T1.toISOString() },
    );

    const first = await ingestCatalog(rt.db.pool, storeId, batch);
    assert.equal(first.upserted, 2);
    assert.equal(first.stale, 0);
    assert.equal(first.changes.length, 4, 'two products and two variants went from nothing to a quantity');
    const observedAfterFirst = await observations(storeId);
    assert.equal(observedAfterFirst.length, 4);

    const second = await ingestCatalog(rt.db.pool, storeId, batch);
    assert.equal(second.duplicate, false);
    assert.deepEqual(second.changes, []);

    const stored = await productRows(storeId);
    assert.deepEqual(stored.map((p) => [p.external_id, p.inventory_quantity]), [['mug', 9], ['shirt', 7]]);
    assert.equal((await variantRows(storeId, 'shirt')).length, 2);
    assert.deepEqual(await observations(storeId), observedAfterFirst);
    assert.deepEqual(await queuedTriggers(storeId), [], 'neither a first sighting nor its redelivery queues a flow trigger');
  });

  test('a redelivery without source times is also a no-op for inventory', async () => {
    const storeId = await newStore();
    const batch = products({ externalId: 'cap', title: 'Cap', inventoryTracking: 'product', inventoryQuantity: 5 });
    await ingestCatalog(rt.db.pool, storeId, batch, { now: T1 });
    const again = await ingestCatalog(rt.db.pool, storeId, batch, { now: T2 });
    assert.deepEqual(again.changes, []);
    const { rows } = await rt.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM products WHERE store_id = $1', [storeId]);
    assert.equal(rows[0]!.n, 1);
    assert.equal((await observations(storeId)).length, 1);
  });

  test('a late retry older than the stored item never rolls it back, and is counted as stale', async () => {
    const storeId = await newStore();
    const newer = products({
      externalId: 'lamp',
      title: 'Lamp v2',
      price: 30,
      inventoryTracking: 'variant',
      updatedAt: T2.toISOString(),
      variants: [{ externalId: 'lamp-red', price: 30, inventoryQuantity: 2 }],
    });
    const older = products({
      externalId: 'lamp',
      title: 'Lamp v1',
      price: 25,
      inventoryTracking: 'variant',
      updatedAt: T1.toISOString(),
      variants: [
        { externalId: 'lamp-red', price: 25, inventoryQuantity: 10 },
        { externalId: 'lamp-blue', price: 25, inventoryQuantity: 10 },
      ],
    });

    await ingestCatalog(rt.db.pool, storeId, newer);
    const retry = await ingestCatalog(rt.db.pool, storeId, older);
    assert.equal(retry.stale, 1);
    assert.equal(retry.upserted, 0);
    assert.deepEqual(retry.changes, []);

    const [lamp] = await productRows(storeId);
    assert.equal(lamp!.title, 'Lamp v2');
    assert.equal(lamp!.price, 30);
    assert.equal(lamp!.inventory_quantity, 2);
    assert.equal(lamp!.source_updated_at.toISOString(), T2.toISOString());
    const variants = await variantRows(storeId, 'lamp');
    assert.deepEqual(variants.map((v) => [v.external_id, v.inventory_quantity, v.price]), [['lamp-red', 2, 30]]);
    assert.equal((await observations(storeId)).length, 2, 'only the first (newer) delivery was observed');
  });

  test('with variant tracking the product quantity is the sum of its variants', async () => {
    const storeId = await newStore();
    await ingestCatalog(
      rt.db.pool,
      storeId,
      products({
        externalId: 'sock',
        title: 'Sock',
        inventoryTracking: 'variant',
        inventoryQuantity: 999,
        updatedAt: T1.toISOString(),
        variants: [
          { externalId: 'sock-1', inventoryQuantity: 3 },
          { externalId: 'sock-2', inventoryQuantity: 4 },
          { externalId: 'sock-3', inventoryQuantity: null },
        ],
      }),
    );
    assert.equal((await productRows(storeId))[0]!.inventory_quantity, 7, 'untracked variants and the product figure are ignored');

    const result = await ingestCatalog(
      rt.db.pool,
      storeId,
      products({
        externalId: 'sock',
        title: 'Sock',
        inventoryTracking: 'variant',
        updatedAt: T2.toISOString(),
        variants: [
          { externalId: 'sock-1', inventoryQuantity: 0 },
          { externalId: 'sock-2', inventoryQuantity: 4 },
          { externalId: 'sock-3', inventoryQuantity: null },
        ],
      }),
    );
    assert.equal((await productRows(storeId))[0]!.inventory_quantity, 4);
    assert.deepEqual(
      result.changes.map((c) => [c.level, c.variantExternalId, c.oldQuantity, c.newQuantity]),
      [
        ['product', null, 7, 4],
        ['variant', 'sock-1', 3, 0],
      ],
    );
    const product = await findProductByExternalId(rt.db.pool, storeId, 'sock');
    assert.equal(product?.inventoryQuantity, 4);
    assert.deepEqual(product?.variants.map((v) => v.inventoryQuantity), [0, 4, null]);
  });

  test('with product tracking the product keeps its own quantity', async () => {
    const storeId = await newStore();
    await ingestCatalog(
      rt.db.pool,
      storeId,
      products(
        {
          externalId: 'bag',
          title: 'Bag',
          inventoryTracking: 'product',
          inventoryQuantity: 10,
          variants: [
            { externalId: 'bag-a', inventoryQuantity: 3 },
            { externalId: 'bag-b', inventoryQuantity: 4 },
          ],
        },
        { externalId: 'gift-card', title: 'Gift card', inventoryTracking: 'none', inventoryQuantity: 50, variants: [{ externalId: 'gc-10', inventoryQuantity: 5 }] },
      ),
    );
    const stored = await productRows(storeId);
    assert.deepEqual(stored.map((p) => [p.external_id, p.inventory_quantity]), [['bag', 10], ['gift-card', null]]);
    assert.deepEqual((await variantRows(storeId, 'bag')).map((v) => v.inventory_quantity), [3, 4]);
    assert.deepEqual((await variantRows(storeId, 'gift-card')).map((v) => v.inventory_quantity), [null], 'untracked items carry no quantity');
    const observed = await observations(storeId);
    assert.ok(observed.every((o) => o.product_external_id === 'bag'), 'nothing is observed for an untracked product');
  });

  test('a variant missing from the list is soft-deleted, not listed, and no longer counted', async () => {
    const storeId = await newStore();
    const at = (updatedAt: Date, variants: RawProduct['variants']) =>
      products({ externalId: 'hat', title: 'Hat', inventoryTracking: 'variant', updatedAt: updatedAt.toISOString(), variants });
    await ingestCatalog(rt.db.pool, storeId, at(T1, [
      { externalId: 'hat-s', inventoryQuantity: 2 },
      { externalId: 'hat-l', inventoryQuantity: 5 },
    ]));
    const removal = await ingestCatalog(rt.db.pool, storeId, at(T2, [{ externalId: 'hat-s', inventoryQuantity: 2 }]));

    const variants = await variantRows(storeId, 'hat');
    const large = variants.find((v) => v.external_id === 'hat-l');
    assert.ok(large, 'the row is kept for history');
    assert.notEqual(large.deleted_at, null);
    assert.equal(variants.find((v) => v.external_id === 'hat-s')!.deleted_at, null);

    assert.equal((await productRows(storeId))[0]!.inventory_quantity, 2);
    const [listed] = await listProducts(rt.db.pool, storeId, undefined, 10);
    assert.deepEqual(listed!.variants.map((v) => v.externalId), ['hat-s']);
    assert.equal(listed!.inventoryQuantity, 2);
    assert.deepEqual(
      removal.changes.map((c) => [c.level, c.variantExternalId, c.oldQuantity, c.newQuantity]).sort(),
      [
        ['product', null, 7, 2],
        ['variant', 'hat-l', 5, null],
      ].sort(),
    );

    const back = await ingestCatalog(rt.db.pool, storeId, at(new Date(T2.getTime() + 60_000), [
      { externalId: 'hat-s', inventoryQuantity: 2 },
      { externalId: 'hat-l', inventoryQuantity: 1 },
    ]));
    assert.equal((await variantRows(storeId, 'hat')).find((v) => v.external_id === 'hat-l')!.deleted_at, null, 'relisting restores it');
    const restored = back.changes.find((c) => c.variantExternalId === 'hat-l');
    assert.deepEqual([restored?.oldQuantity, restored?.newQuantity], [null, 1], 'a restored variant starts from no known quantity');
    assert.equal((await productRows(storeId))[0]!.inventory_quantity, 3);
  });

  test('every quantity change is kept as an observation with its old and new value', async () => {
    const storeId = await newStore();
    const at = (updatedAt: Date, own: number) =>
      products({ externalId: 'pen', title: 'Pen', inventoryTracking: 'product', inventoryQuantity: own, updatedAt: updatedAt.toISOString() });
    await ingestCatalog(rt.db.pool, storeId, at(T1, 12));
    await ingestCatalog(rt.db.pool, storeId, at(T2, 4));
    await ingestCatalog(rt.db.pool, storeId, at(new Date(T2.getTime() + 1000), 4));
    assert.deepEqual(
      (await observations(storeId)).map((o) => ({ level: o.level, old: o.old_quantity, new: o.new_quantity, at: o.source_updated_at.toISOString() })),
      [
        { level: 'product', old: null, new: 12, at: T1.toISOString() },
        { level: 'product', old: 12, new: 4, at: T2.toISOString() },
      ],
    );
    assert.equal((await productRows(storeId))[0]!.source_updated_at.getTime(), T2.getTime() + 1000, 'an unchanged quantity still refreshes the row');
  });

  test('a reported stock change is queued for flows once, with its observation', async () => {
    const storeId = await newStore();
    const vase = (qty: number, at: Date) => products({ externalId: 'vase', title: 'Vase', inventoryTracking: 'product', inventoryQuantity: qty, updatedAt: at.toISOString() });
    await ingestCatalog(rt.db.pool, storeId, vase(6, T1));
    assert.deepEqual(await queuedTriggers(storeId), [], 'a first sighting has no old quantity: nothing can have fallen');

    const later = vase(4, T2);
    await ingestCatalog(rt.db.pool, storeId, later);
    assert.deepEqual(await queuedTriggers(storeId), [{ kind: 'inventory', product: 'vase', old: 6, new: 4 }]);

    await ingestCatalog(rt.db.pool, storeId, later);
    assert.equal((await queuedTriggers(storeId)).length, 1, 'a no-op redelivery queues nothing');
  });

  test('a delivery id makes a redelivered catalog webhook a no-op', async () => {
    const storeId = await newStore();
    const delivery = { source: 'test', id: 'catalog-delivery-1' };
    const batch = products({ externalId: 'kite', title: 'Kite', inventoryTracking: 'product', inventoryQuantity: 1 });
    const first = await ingestCatalog(rt.db.pool, storeId, batch, { delivery });
    assert.equal(first.duplicate, false);
    const second = await ingestCatalog(
      rt.db.pool,
      storeId,
      products({ externalId: 'kite', title: 'Kite', inventoryTracking: 'product', inventoryQuantity: 50 }),
      { delivery },
    );
    assert.deepEqual(second, { upserted: 0, stale: 0, duplicate: true, changes: [] });
    assert.equal((await productRows(storeId))[0]!.inventory_quantity, 1);
  });

  test('a database error part-way through a batch stores nothing from it', async () => {
    const storeId = await newStore();
    await ingestCatalog(
      rt.db.pool,
      storeId,
      products({ externalId: 'a-existing', title: 'Existing', inventoryTracking: 'product', inventoryQuantity: 5, updatedAt: T1.toISOString() }),
    );
    const before = { products: await productRows(storeId), observations: await observations(storeId), queued: await queuedTriggers(storeId) };

    // Products are written before variants, so the out-of-range variant fails after the
    // product rows of the same call are already in the transaction.
    const overflowing = products(
      { externalId: 'a-existing', title: 'Existing (renamed)', inventoryTracking: 'product', inventoryQuantity: 1, updatedAt: T2.toISOString() },
      { externalId: 'b-new', title: 'New', inventoryTracking: 'product', inventoryQuantity: 2 },
      { externalId: 'c-broken', title: 'Broken', inventoryTracking: 'product', inventoryQuantity: 1, variants: [{ externalId: 'c-1', inventoryQuantity: 1 }] },
    );
    // Set after parsing, as a faulty connector could hand ingest a value validation would refuse.
    overflowing[2]!.variants[0]!.inventoryQuantity = 3_000_000_000;
    await assert.rejects(ingestCatalog(rt.db.pool, storeId, overflowing), /out of range/);

    assert.deepEqual(await productRows(storeId), before.products);
    assert.deepEqual(await observations(storeId), before.observations);
    assert.deepEqual(await queuedTriggers(storeId), before.queued, 'a rolled-back batch queues nothing for flows');
  });

  test('an error raised by the database on one item rolls back the whole batch', async () => {
    const storeId = await newStore();
    await rt.db.pool.query(`
      CREATE OR REPLACE FUNCTION refuse_poison_variant() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.external_id = 'poison' THEN RAISE EXCEPTION 'poison variant refused'; END IF;
        RETURN NEW;
      END $$`);
    await rt.db.pool.query(
      `CREATE OR REPLACE TRIGGER refuse_poison_variant BEFORE INSERT OR UPDATE ON variants FOR EACH ROW EXECUTE FUNCTION refuse_poison_variant()`,
    );
    try {
      await ingestCatalog(
        rt.db.pool,
        storeId,
        products({ externalId: 'desk', title: 'Desk', inventoryTracking: 'variant', updatedAt: T1.toISOString(), variants: [{ externalId: 'desk-oak', inventoryQuantity: 4 }] }),
      );
      const before = { products: await productRows(storeId), variants: await variantRows(storeId, 'desk'), observations: await observations(storeId) };

      await assert.rejects(
        ingestCatalog(
          rt.db.pool,
          storeId,
          products(
            { externalId: 'chair', title: 'Chair', inventoryTracking: 'product', inventoryQuantity: 8 },
            { externalId: 'desk', title: 'Desk', inventoryTracking: 'variant', updatedAt: T2.toISOString(), variants: [{ externalId: 'desk-oak', inventoryQuantity: 1 }] },
            { externalId: 'table', title: 'Table', inventoryTracking: 'variant', variants: [{ externalId: 'poison', inventoryQuantity: 1 }] },
          ),
        ),
        /poison variant refused/,
      );

      assert.deepEqual(await productRows(storeId), before.products);
      assert.deepEqual(await variantRows(storeId, 'desk'), before.variants);
      assert.deepEqual(await observations(storeId), before.observations);
    } finally {
      await rt.db.pool.query('DROP TRIGGER IF EXISTS refuse_poison_variant ON variants');
    }
  });
}

describe('catalog ingest on PostgreSQL', () => catalogSuite({ embedded: false }));
describe('catalog ingest on embedded PGlite', () => catalogSuite({ embedded: true }));
