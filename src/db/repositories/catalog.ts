// Products, variants and inventory observations. Bulk statements take one JSON array
// parameter (jsonb_to_recordset) so a 1,000-item call is a handful of round trips.
import type { ExternalProductId, ExternalVariantId, ProductId, StoreId, VariantId } from '../../model/ids.ts';
import type { InventoryChange, InventoryTracking, Product, Variant } from '../../model/catalog.ts';
import type { Queryable } from '../pool.ts';

export type ProductWrite = {
  externalId: string;
  title: string;
  url: string | null;
  imageUrl: string | null;
  price: number | null;
  inventoryTracking: InventoryTracking;
  inventoryQuantity: number | null;
  sourceUpdatedAt: Date;
};

export type VariantWrite = {
  productId: ProductId;
  externalId: string;
  sku: string | null;
  title: string | null;
  price: number | null;
  inventoryQuantity: number | null;
  /** null: the write does not say, the stored flag stays. */
  inventoryTracked: boolean | null;
  /** null: the write does not say, the stored item stays. */
  stockItemId: string | null;
  /** null: the write does not say; true: every location stocking it is in variant_locations. */
  levelsComplete: boolean | null;
  sourceUpdatedAt: Date;
};

export type ProductState = {
  id: ProductId;
  externalId: ExternalProductId;
  inventoryQuantity: number | null;
  sourceUpdatedAt: Date;
  deleted: boolean;
};

export type VariantState = {
  id: VariantId;
  productId: ProductId;
  externalId: ExternalVariantId;
  inventoryQuantity: number | null;
  deleted: boolean;
};

const PRODUCT_RECORD = `x(external_id text, title text, url text, image_url text, price numeric, inventory_tracking text,
  inventory_quantity integer, source_updated_at timestamptz)`;

function productJson(rows: ProductWrite[]): string {
  return JSON.stringify(
    rows.map((r) => ({
      external_id: r.externalId,
      title: r.title,
      url: r.url,
      image_url: r.imageUrl,
      price: r.price,
      inventory_tracking: r.inventoryTracking,
      inventory_quantity: r.inventoryQuantity,
      source_updated_at: r.sourceUpdatedAt.toISOString(),
    })),
  );
}

/** Inserts products not yet known; returns the external ids it created. */
export async function insertNewProducts(db: Queryable, storeId: StoreId, rows: ProductWrite[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const { rows: created } = await db.query<{ external_id: string }>(
    `INSERT INTO products (store_id, external_id, title, url, image_url, price, inventory_tracking, inventory_quantity, source_updated_at)
     SELECT $1, external_id, title, url, image_url, price, inventory_tracking, inventory_quantity, source_updated_at
     FROM jsonb_to_recordset($2::jsonb) AS ${PRODUCT_RECORD}
     ON CONFLICT (store_id, external_id) DO NOTHING
     RETURNING external_id`,
    [storeId, productJson(rows)],
  );
  return new Set(created.map((r) => r.external_id));
}

/** Locks the named products in a fixed order (no deadlocks between batches) and returns their state. */
export async function lockProducts(db: Queryable, storeId: StoreId, externalIds: string[]): Promise<Map<string, ProductState>> {
  const { rows } = await db.query<{ id: string; external_id: string; inventory_quantity: number | null; source_updated_at: Date; deleted_at: Date | null }>(
    `SELECT id, external_id, inventory_quantity, source_updated_at, deleted_at FROM products
     WHERE store_id = $1 AND external_id = ANY($2::text[]) ORDER BY external_id FOR UPDATE`,
    [storeId, externalIds],
  );
  return new Map(
    rows.map((r) => [
      r.external_id,
      {
        id: r.id as ProductId,
        externalId: r.external_id as ExternalProductId,
        inventoryQuantity: r.inventory_quantity,
        sourceUpdatedAt: r.source_updated_at,
        deleted: r.deleted_at !== null,
      },
    ]),
  );
}

export async function updateProducts(db: Queryable, storeId: StoreId, rows: ProductWrite[]): Promise<void> {
  if (rows.length === 0) return;
  await db.query(
    `UPDATE products p SET title = x.title, url = x.url, image_url = x.image_url, price = x.price,
       inventory_tracking = x.inventory_tracking, inventory_quantity = x.inventory_quantity,
       source_updated_at = x.source_updated_at, deleted_at = NULL, updated_at = now()
     FROM jsonb_to_recordset($2::jsonb) AS ${PRODUCT_RECORD}
     WHERE p.store_id = $1 AND p.external_id = x.external_id`,
    [storeId, productJson(rows)],
  );
}

const VARIANT_RECORD = `x(product_id uuid, external_id text, sku text, title text, price numeric, inventory_quantity integer,
  inventory_tracked boolean, stock_item_id text, levels_complete boolean, source_updated_at timestamptz)`;

function variantJson(rows: VariantWrite[]): string {
  return JSON.stringify(
    rows.map((r) => ({
      product_id: r.productId,
      external_id: r.externalId,
      sku: r.sku,
      title: r.title,
      price: r.price,
      inventory_quantity: r.inventoryQuantity,
      inventory_tracked: r.inventoryTracked,
      stock_item_id: r.stockItemId,
      levels_complete: r.levelsComplete,
      source_updated_at: r.sourceUpdatedAt.toISOString(),
    })),
  );
}

export const variantKey = (productId: string, externalId: string): string => `${productId}\u0000${externalId}`;

export async function insertNewVariants(db: Queryable, storeId: StoreId, rows: VariantWrite[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const { rows: created } = await db.query<{ product_id: string; external_id: string }>(
    `INSERT INTO variants (store_id, product_id, external_id, sku, title, price, inventory_quantity, inventory_tracked, stock_item_id, levels_complete, source_updated_at)
     SELECT $1, product_id, external_id, sku, title, price, inventory_quantity, inventory_tracked, stock_item_id, COALESCE(levels_complete, false), source_updated_at
     FROM jsonb_to_recordset($2::jsonb) AS ${VARIANT_RECORD}
     ON CONFLICT (store_id, product_id, external_id) DO NOTHING
     RETURNING product_id, external_id`,
    [storeId, variantJson(rows)],
  );
  return new Set(created.map((r) => variantKey(r.product_id, r.external_id)));
}

/** Locks every variant (removed ones too) of the given products, keyed by variantKey. */
export async function lockVariants(db: Queryable, storeId: StoreId, productIds: ProductId[]): Promise<Map<string, VariantState>> {
  if (productIds.length === 0) return new Map();
  const { rows } = await db.query<{ id: string; product_id: string; external_id: string; inventory_quantity: number | null; deleted_at: Date | null }>(
    `SELECT id, product_id, external_id, inventory_quantity, deleted_at FROM variants
     WHERE store_id = $1 AND product_id = ANY($2::uuid[]) ORDER BY product_id, external_id FOR UPDATE`,
    [storeId, productIds],
  );
  return new Map(
    rows.map((r) => [
      variantKey(r.product_id, r.external_id),
      {
        id: r.id as VariantId,
        productId: r.product_id as ProductId,
        externalId: r.external_id as ExternalVariantId,
        inventoryQuantity: r.inventory_quantity,
        deleted: r.deleted_at !== null,
      },
    ]),
  );
}

export async function updateVariants(db: Queryable, storeId: StoreId, rows: VariantWrite[]): Promise<void> {
  if (rows.length === 0) return;
  await db.query(
    `UPDATE variants v SET sku = x.sku, title = x.title, price = x.price, inventory_quantity = x.inventory_quantity,
       inventory_tracked = COALESCE(x.inventory_tracked, v.inventory_tracked), stock_item_id = COALESCE(x.stock_item_id, v.stock_item_id),
       levels_complete = COALESCE(x.levels_complete, v.levels_complete), source_updated_at = x.source_updated_at, deleted_at = NULL, updated_at = now()
     FROM jsonb_to_recordset($2::jsonb) AS ${VARIANT_RECORD}
     WHERE v.store_id = $1 AND v.product_id = x.product_id AND v.external_id = x.external_id`,
    [storeId, variantJson(rows)],
  );
}

/**
 * The stored tracked flag of live variants by external id: what the platform's inventory item
 * said when last read. Variants never read (or whose flag is unknown) are absent.
 */
export async function storedVariantTracking(db: Queryable, storeId: StoreId, externalIds: string[]): Promise<Map<string, boolean>> {
  if (externalIds.length === 0) return new Map();
  const { rows } = await db.query<{ external_id: string; inventory_tracked: boolean }>(
    `SELECT external_id, inventory_tracked FROM variants
     WHERE store_id = $1 AND external_id = ANY($2::text[]) AND deleted_at IS NULL AND inventory_tracked IS NOT NULL`,
    [storeId, externalIds],
  );
  return new Map(rows.map((r) => [r.external_id, r.inventory_tracked]));
}

export async function markVariantsDeleted(db: Queryable, storeId: StoreId, ids: VariantId[]): Promise<void> {
  if (ids.length === 0) return;
  await db.query(
    'UPDATE variants SET deleted_at = now(), updated_at = now() WHERE store_id = $1 AND id = ANY($2::uuid[]) AND deleted_at IS NULL',
    [storeId, ids],
  );
}

/**
 * Appends the changes to the inventory history. A change the source reported may start a flow;
 * a recount (the merchant changed which locations count) is recorded but never does by itself.
 */
export async function insertObservations(db: Queryable, changes: InventoryChange[], cause: 'source' | 'recount' = 'source'): Promise<void> {
  if (changes.length === 0) return;
  await db.query(
    `WITH observed AS (
       INSERT INTO inventory_observations (store_id, product_id, variant_id, level, old_quantity, new_quantity, source_updated_at, observed_at, cause)
       SELECT store_id, product_id, variant_id, level, old_quantity, new_quantity, source_updated_at, observed_at, $2
       FROM jsonb_to_recordset($1::jsonb) AS x(store_id uuid, product_id uuid, variant_id uuid, level text, old_quantity integer,
         new_quantity integer, source_updated_at timestamptz, observed_at timestamptz)
       RETURNING store_id, id, old_quantity, new_quantity, observed_at
     )
     -- Stock changes the source reported reach the flow engine exactly once this way: a fall may
     -- start a low-inventory flow, and any change moves a sell-out forecast (a rise or a sell-out
     -- ends its episode). The queue is the hand-off to flows: flow-trigger-queue.ts.
     INSERT INTO flow_trigger_queue (store_id, kind, observation_id, at)
     SELECT store_id, 'inventory', id, observed_at FROM observed
     WHERE $2 = 'source' AND old_quantity IS NOT NULL AND new_quantity IS NOT NULL AND new_quantity <> old_quantity`,
    [
      JSON.stringify(
        changes.map((c) => ({
          store_id: c.storeId,
          product_id: c.productId,
          variant_id: c.variantId,
          level: c.level,
          old_quantity: c.oldQuantity,
          new_quantity: c.newQuantity,
          source_updated_at: c.sourceUpdatedAt.toISOString(),
          observed_at: c.observedAt.toISOString(),
        })),
      ),
      cause,
    ],
  );
}

export type ProductRow = {
  id: string;
  store_id: string;
  external_id: string;
  title: string;
  url: string | null;
  image_url: string | null;
  price: number | null;
  inventory_tracking: InventoryTracking;
  inventory_quantity: number | null;
  source_updated_at: Date;
};

type VariantRow = {
  id: string;
  product_id: string;
  external_id: string;
  sku: string | null;
  title: string | null;
  price: number | null;
  inventory_quantity: number | null;
};

function toVariant(r: VariantRow): Variant {
  return {
    id: r.id as VariantId,
    productId: r.product_id as ProductId,
    externalId: r.external_id as ExternalVariantId,
    sku: r.sku,
    title: r.title,
    price: r.price,
    inventoryQuantity: r.inventory_quantity,
  };
}

function toProduct(r: ProductRow, variants: Variant[]): Product {
  return {
    id: r.id as ProductId,
    storeId: r.store_id as StoreId,
    externalId: r.external_id as ExternalProductId,
    title: r.title,
    url: r.url,
    imageUrl: r.image_url,
    price: r.price,
    inventoryTracking: r.inventory_tracking,
    inventoryQuantity: r.inventory_quantity,
    sourceUpdatedAt: r.source_updated_at,
    variants,
  };
}

export const PRODUCT_COLUMNS = 'id, store_id, external_id, title, url, image_url, price, inventory_tracking, inventory_quantity, source_updated_at';

export async function withVariants(db: Queryable, storeId: StoreId, rows: ProductRow[]): Promise<Product[]> {
  if (rows.length === 0) return [];
  const { rows: vrows } = await db.query<VariantRow>(
    `SELECT id, product_id, external_id, sku, title, price, inventory_quantity FROM variants
     WHERE store_id = $1 AND product_id = ANY($2::uuid[]) AND deleted_at IS NULL ORDER BY product_id, external_id`,
    [storeId, rows.map((r) => r.id)],
  );
  const byProduct = new Map<string, Variant[]>();
  for (const v of vrows) {
    const list = byProduct.get(v.product_id) ?? [];
    list.push(toVariant(v));
    byProduct.set(v.product_id, list);
  }
  return rows.map((r) => toProduct(r, byProduct.get(r.id) ?? []));
}

/** A page of live products ordered by id; `after` is the last id of the previous page. */
export async function listProducts(db: Queryable, storeId: StoreId, after: ProductId | undefined, limit: number): Promise<Product[]> {
  const { rows } = await db.query<ProductRow>(
    `SELECT ${PRODUCT_COLUMNS} FROM products
     WHERE store_id = $1 AND deleted_at IS NULL AND ($2::uuid IS NULL OR id > $2::uuid) ORDER BY id LIMIT $3`,
    [storeId, after ?? null, limit],
  );
  return withVariants(db, storeId, rows);
}

export async function findProductByExternalId(db: Queryable, storeId: StoreId, externalId: string): Promise<Product | undefined> {
  const { rows } = await db.query<ProductRow>(
    `SELECT ${PRODUCT_COLUMNS} FROM products WHERE store_id = $1 AND external_id = $2`,
    [storeId, externalId],
  );
  return (await withVariants(db, storeId, rows))[0];
}

export type InventoryObservation = {
  id: number;
  productId: ProductId;
  variantId: VariantId | null;
  level: 'product' | 'variant';
  oldQuantity: number | null;
  newQuantity: number | null;
  observedAt: Date;
};

export async function listObservations(db: Queryable, storeId: StoreId, productId: ProductId): Promise<InventoryObservation[]> {
  const { rows } = await db.query<{ id: number; product_id: string; variant_id: string | null; level: 'product' | 'variant'; old_quantity: number | null; new_quantity: number | null; observed_at: Date }>(
    `SELECT id, product_id, variant_id, level, old_quantity, new_quantity, observed_at FROM inventory_observations
     WHERE store_id = $1 AND product_id = $2 ORDER BY id`,
    [storeId, productId],
  );
  return rows.map((r) => ({
    id: r.id,
    productId: r.product_id as ProductId,
    variantId: r.variant_id as VariantId | null,
    level: r.level,
    oldQuantity: r.old_quantity,
    newQuantity: r.new_quantity,
    observedAt: r.observed_at,
  }));
}

/** Marks products (and their variants) deleted; returns the ids it changed. */
export async function markProductsDeleted(db: Queryable, storeId: StoreId, externalIds: string[], at: Date): Promise<ProductId[]> {
  if (externalIds.length === 0) return [];
  // The deletion's time becomes the item's source time, so a late retry of an older update
  // cannot bring the product back.
  const { rows } = await db.query<{ id: string }>(
    `UPDATE products SET deleted_at = now(), updated_at = now(), source_updated_at = GREATEST(source_updated_at, $3)
     WHERE store_id = $1 AND external_id = ANY($2::text[]) AND deleted_at IS NULL AND source_updated_at <= $3 RETURNING id`,
    [storeId, externalIds, at],
  );
  const ids = rows.map((r) => r.id as ProductId);
  if (ids.length > 0) {
    await db.query(
      'UPDATE variants SET deleted_at = now(), updated_at = now() WHERE store_id = $1 AND product_id = ANY($2::uuid[]) AND deleted_at IS NULL',
      [storeId, ids],
    );
  }
  return ids;
}
