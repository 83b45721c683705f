// The two figures the Shopify webhook route is judged against, each on its own database with the
// same migrations (so the same tables, indexes and constraints) and the server's own fsync and
// synchronous_commit:
//
// - group commit: the same durable work as the route and its worker, done the fastest plain way
//   (unnest() upserts, 100 deliveries per transaction): the inbox row, the delivery record, the
//   product and variant upserts, the stock observations with their flow-trigger rows, the level
//   at the location, and the inbox row marked processed. What the route cannot skip (HTTP, HMAC,
//   JSON, the Admin API read-back) is left out, so this is an upper bound.
// - literal single-row: the product and its three variants as four prepared single-row upserts,
//   autocommit, over 8 connections; kept as a second reference, since the route must clear it.
import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { runWithConcurrency, timed } from './concurrency.ts';
import { EPOCH, LOCATION_ID, VARIANTS, isInventory, levelBody, productBody, productOf, sentQuantity, variantId } from './shopify-deliveries.ts';

export const GROUP_BATCH = 100;
/** As many as the route's worker has drainers. */
export const GROUP_CONNECTIONS = 2;
export const SINGLE_ROW_CONNECTIONS = 8;

const at = (seq: number) => new Date(EPOCH + seq * 1000);

/** One batch of deliveries, intake then catalog, as the route and its worker would store it. */
async function storeGroup(pool: pg.Pool, storeId: string, seqs: number[]): Promise<void> {
  const { rows: inbox } = await pool.query<{ id: string }>(
    `INSERT INTO webhook_inbox (store_id, source, delivery_id, topic, payload, triggered_at)
     SELECT $1, 'shopify', d, t, p, now() FROM unnest($2::text[], $3::text[], $4::jsonb[]) AS x(d, t, p)
     ON CONFLICT (store_id, source, delivery_id, topic) DO NOTHING RETURNING id`,
    [
      storeId,
      seqs.map(() => randomUUID()),
      seqs.map((s) => (isInventory(s) ? 'inventory_levels/update' : 'products/update')),
      seqs.map((s) => JSON.stringify(isInventory(s) ? levelBody(s) : productBody(s))),
    ],
  );
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO webhook_deliveries (store_id, source, delivery_id) SELECT $1, 'inbox:shopify', unnest($2::text[])
       ON CONFLICT (store_id, source, delivery_id) DO NOTHING`,
      [storeId, inbox.map((r) => r.id)],
    );
    const sorted = [...seqs].sort((a, b) => (productOf(a) < productOf(b) ? -1 : 1));
    const { rows: products } = await client.query<{ id: string; external_id: string }>(
      `WITH x AS (SELECT * FROM unnest($2::text[], $3::int[], $4::timestamptz[]) AS x(e, q, at)),
       old AS (SELECT p.external_id, p.inventory_quantity FROM products p JOIN x ON p.store_id = $1 AND p.external_id = x.e),
       up AS (
         INSERT INTO products (store_id, external_id, title, price, inventory_tracking, inventory_quantity, source_updated_at)
         SELECT $1, e, 'Product ' || e, 19.99, 'variant', q, at FROM x
         ON CONFLICT (store_id, external_id) DO UPDATE SET title = EXCLUDED.title, inventory_quantity = EXCLUDED.inventory_quantity,
           source_updated_at = EXCLUDED.source_updated_at, updated_at = now()
         WHERE products.source_updated_at <= EXCLUDED.source_updated_at
         RETURNING id, external_id, inventory_quantity, source_updated_at),
       obs AS (
         INSERT INTO inventory_observations (store_id, product_id, variant_id, level, old_quantity, new_quantity, source_updated_at, observed_at, cause)
         SELECT $1, up.id, NULL, 'product', old.inventory_quantity, up.inventory_quantity, up.source_updated_at, now(), 'source'
         FROM up LEFT JOIN old ON old.external_id = up.external_id WHERE old.inventory_quantity IS DISTINCT FROM up.inventory_quantity
         RETURNING id, old_quantity, new_quantity, observed_at),
       q AS (
         INSERT INTO flow_trigger_queue (store_id, kind, observation_id, at)
         SELECT $1, 'inventory', id, observed_at FROM obs WHERE old_quantity IS NOT NULL AND new_quantity <> old_quantity)
       SELECT id, external_id FROM up`,
      [
        storeId,
        sorted.map(productOf),
        sorted.map((s) => Array.from({ length: VARIANTS }, (_, v) => sentQuantity(s, v)).reduce((a, b) => a + b, 0)),
        sorted.map(at),
      ],
    );
    const idOf = new Map(products.map((p) => [p.external_id, p.id]));
    const variants = sorted.flatMap((s) => Array.from({ length: VARIANTS }, (_, v) => ({ s, v, product: productOf(s) })));
    const { rows: variantRows } = await client.query<{ id: string; external_id: string }>(
      `WITH x AS (SELECT * FROM unnest($2::uuid[], $3::text[], $4::int[], $5::timestamptz[]) AS x(product_id, external_id, q, at)),
       old AS (SELECT v.id, v.inventory_quantity FROM variants v JOIN x ON v.store_id = $1 AND v.product_id = x.product_id AND v.external_id = x.external_id),
       up AS (
         INSERT INTO variants (store_id, product_id, external_id, sku, title, price, inventory_quantity, source_updated_at)
         SELECT $1, product_id, external_id, 'SKU-' || external_id, 'Variant', 19.99, q, at FROM x
         ON CONFLICT (store_id, product_id, external_id) DO UPDATE SET inventory_quantity = EXCLUDED.inventory_quantity,
           source_updated_at = EXCLUDED.source_updated_at, updated_at = now()
         RETURNING id, product_id, external_id, inventory_quantity, source_updated_at),
       obs AS (
         INSERT INTO inventory_observations (store_id, product_id, variant_id, level, old_quantity, new_quantity, source_updated_at, observed_at, cause)
         SELECT $1, up.product_id, up.id, 'variant', old.inventory_quantity, up.inventory_quantity, up.source_updated_at, now(), 'source'
         FROM up LEFT JOIN old ON old.id = up.id WHERE old.inventory_quantity IS DISTINCT FROM up.inventory_quantity
         RETURNING id, old_quantity, new_quantity, observed_at),
       q AS (
         INSERT INTO flow_trigger_queue (store_id, kind, observation_id, at)
         SELECT $1, 'inventory', id, observed_at FROM obs WHERE old_quantity IS NOT NULL AND new_quantity <> old_quantity)
       SELECT id, external_id FROM up`,
      [storeId, variants.map((x) => idOf.get(x.product)), variants.map((x) => variantId(x.product, x.v)), variants.map((x) => sentQuantity(x.s, x.v)), variants.map((x) => at(x.s))],
    );
    // inventory_levels/update names one item at one location: its level is stored as well.
    const variantIdOf = new Map(variantRows.map((r) => [r.external_id, r.id]));
    const levels = sorted.filter(isInventory);
    await client.query(
      `INSERT INTO variant_locations (store_id, variant_id, location_id, available, updated_at)
       SELECT $1, v, $2, a, at FROM unnest($3::uuid[], $4::int[], $5::timestamptz[]) AS x(v, a, at)
       ON CONFLICT (store_id, variant_id, location_id) DO UPDATE SET available = excluded.available, updated_at = excluded.updated_at`,
      [storeId, String(LOCATION_ID), levels.map((s) => variantIdOf.get(variantId(productOf(s), 0))), levels.map((s) => s % 100), levels.map(at)],
    );
    await client.query(`UPDATE webhook_inbox SET processed_at = now(), outcome = 'catalog' WHERE store_id = $1 AND id = ANY($2::bigint[])`, [
      storeId,
      inbox.map((r) => r.id),
    ]);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/** Seconds to store `seqs` by group commit: GROUP_BATCH deliveries per transaction, GROUP_CONNECTIONS at once. */
export async function groupCommit(pool: pg.Pool, storeId: string, seqs: number[]): Promise<number> {
  await pool.query(
    `INSERT INTO locations (store_id, location_id, name) VALUES ($1, $2, 'Main') ON CONFLICT (store_id, location_id) DO NOTHING`,
    [storeId, String(LOCATION_ID)],
  );
  const batches = Math.ceil(seqs.length / GROUP_BATCH);
  return timed(() => runWithConcurrency(batches, GROUP_CONNECTIONS, (b) => storeGroup(pool, storeId, seqs.slice(b * GROUP_BATCH, (b + 1) * GROUP_BATCH))));
}

const PRODUCT_UPSERT = `INSERT INTO products (store_id, external_id, title, price, inventory_tracking, inventory_quantity, source_updated_at)
  VALUES ($1, $2, $3, $4, 'variant', $5, $6)
  ON CONFLICT (store_id, external_id) DO UPDATE SET title = EXCLUDED.title, inventory_quantity = EXCLUDED.inventory_quantity,
    source_updated_at = EXCLUDED.source_updated_at, updated_at = now()
  RETURNING id`;
const VARIANT_UPSERT = `INSERT INTO variants (store_id, product_id, external_id, sku, title, price, inventory_quantity, source_updated_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
  ON CONFLICT (store_id, product_id, external_id) DO UPDATE SET inventory_quantity = EXCLUDED.inventory_quantity,
    source_updated_at = EXCLUDED.source_updated_at, updated_at = now()`;

async function storeSingleRows(pool: pg.Pool, storeId: string, seq: number): Promise<void> {
  const id = productOf(seq);
  const quantities = Array.from({ length: VARIANTS }, (_, v) => sentQuantity(seq, v));
  const { rows } = await pool.query<{ id: string }>({
    name: 'bench-product-upsert',
    text: PRODUCT_UPSERT,
    values: [storeId, id, `Product ${id}`, 19.99, quantities.reduce((a, b) => a + b, 0), at(seq)],
  });
  for (let v = 0; v < VARIANTS; v++) {
    await pool.query({
      name: 'bench-variant-upsert',
      text: VARIANT_UPSERT,
      values: [storeId, rows[0]!.id, variantId(id, v), `SKU-${id}-${v}`, `Variant ${v}`, 19.99, quantities[v], at(seq)],
    });
  }
}

/** Seconds to store `seqs` as four prepared single-row upserts each, autocommit, SINGLE_ROW_CONNECTIONS at once. */
export function singleRows(pool: pg.Pool, storeId: string, seqs: number[]): Promise<number> {
  return timed(() => runWithConcurrency(seqs.length, SINGLE_ROW_CONNECTIONS, (i) => storeSingleRows(pool, storeId, seqs[i]!)));
}
