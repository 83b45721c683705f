// The one write path for catalog data, whichever connector it came from.
import type pg from 'pg';
import { productQuantity, type InventoryChange, type ProductInput, type StockLevelReport } from '../model/catalog.ts';
import type { ExternalProductId, ExternalVariantId, ProductId, StoreId, VariantId } from '../model/ids.ts';
import {
  insertNewProducts,
  insertNewVariants,
  insertObservations,
  lockProducts,
  lockVariants,
  markVariantsDeleted,
  updateProducts,
  updateVariants,
  variantKey,
  type ProductWrite,
  type VariantWrite,
} from '../db/repositories/catalog.ts';
import { DUPLICATE, transactOnce, type Delivery } from './record-delivery.ts';
import { withTransaction } from '../db/pool.ts';
import { recordDeliveries } from '../db/repositories/deliveries.ts';
import { lockUncountedLocations, storedLevels, upsertLevels, type LevelWrite } from '../db/repositories/locations.ts';
import { applyStockLevels, productsOfStockItems } from '../db/repositories/stock-levels.ts';

export type CatalogIngestResult = { upserted: number; stale: number; duplicate: boolean; changes: InventoryChange[] };

/**
 * Upserts products with their full variant lists in one transaction: all of the call or none.
 * An item older than what is stored (by its source time) is skipped, so a late retry never
 * rolls stock back. Every quantity change is recorded with its old and new value; a change the
 * source reported also goes on the flow trigger queue in the same transaction
 * (src/db/repositories/flow-trigger-queue.ts).
 */
export async function ingestCatalog(
  pool: pg.Pool,
  storeId: StoreId,
  input: ProductInput[],
  opts: { now?: Date; delivery?: Delivery } = {},
): Promise<CatalogIngestResult> {
  const now = opts.now ?? new Date();
  const items = prepare(input);
  if (items.length === 0) return { upserted: 0, stale: 0, duplicate: false, changes: [] };

  const result = await transactOnce(pool, storeId, opts.delivery, (tx) => applyCatalog(tx, storeId, items, now));
  if (result === DUPLICATE) return { upserted: 0, stale: 0, duplicate: true, changes: [] };
  return result;
}

/** Last occurrence wins within one call; sorted so concurrent calls lock rows in one order. */
function prepare(input: ProductInput[]): ProductInput[] {
  return [...new Map(input.map((p) => [p.externalId as string, p])).values()].sort((a, b) =>
    a.externalId < b.externalId ? -1 : a.externalId > b.externalId ? 1 : 0,
  );
}

/**
 * A source's total over all locations, less what the locations the merchant does not count hold
 * (as this write or the stored rows say). A store where every location counts (one location,
 * say) keeps the source's figures exactly.
 */
async function countedStock(tx: pg.PoolClient, storeId: StoreId, items: ProductInput[]): Promise<ProductInput[]> {
  const uncounted = await lockUncountedLocations(tx, storeId);
  if (uncounted.size === 0) return items;
  const stored = await storedLevels(tx, storeId, items.map((p) => p.externalId), [...uncounted]);
  return items.map((p) => {
    const heldBy = p.variants.map((v) => {
      const levels = new Map(stored.get(`${p.externalId}\u0000${v.externalId}`));
      for (const l of v.locationLevels ?? []) if (uncounted.has(l.locationId)) levels.set(l.locationId, l.available);
      return [...levels.values()].reduce<number>((sum, n) => sum + (n ?? 0), 0);
    });
    const variants = p.variants.map((v, i) =>
      v.inventoryQuantity === null || v.inventoryQuantity === undefined || heldBy[i] === 0 ? v : { ...v, inventoryQuantity: v.inventoryQuantity - heldBy[i]! },
    );
    // Stock tracked on the product (BigCommerce, Wix) is the product's own total over all
    // locations; what its variants hold at uncounted locations comes out of it as well.
    const held = heldBy.reduce((sum, n) => sum + n, 0);
    const own = p.inventoryTracking === 'product' && p.inventoryQuantity !== null && p.inventoryQuantity !== undefined && held !== 0;
    return { ...p, variants, ...(own ? { inventoryQuantity: p.inventoryQuantity! - held } : {}) };
  });
}

/** The catalog write itself, inside the caller's transaction. */
async function applyCatalog(tx: pg.PoolClient, storeId: StoreId, reported: ProductInput[], now: Date): Promise<CatalogIngestResult> {
  const items = await countedStock(tx, storeId, reported);
  const writes: ProductWrite[] = items.map((p) => ({
    externalId: p.externalId,
    title: p.title,
    url: p.url ?? null,
    imageUrl: p.imageUrl ?? null,
    price: p.price ?? null,
    inventoryTracking: p.inventoryTracking,
    inventoryQuantity: productQuantity(p.inventoryTracking, p.inventoryQuantity, p.variants),
    sourceUpdatedAt: p.updatedAt ?? now,
  }));
  const created = await insertNewProducts(tx, storeId, writes);
  const state = await lockProducts(tx, storeId, writes.map((w) => w.externalId));

  const changes: InventoryChange[] = [];
  const fresh: Array<{ item: ProductInput; write: ProductWrite; productId: ProductId }> = [];
  for (const [i, write] of writes.entries()) {
    const row = state.get(write.externalId)!;
    const isNew = created.has(write.externalId);
    if (!isNew && row.sourceUpdatedAt > write.sourceUpdatedAt) continue;
    fresh.push({ item: items[i]!, write, productId: row.id });
    const old = isNew || row.deleted ? null : row.inventoryQuantity;
    if (old !== write.inventoryQuantity) {
      changes.push({
        storeId,
        level: 'product',
        productId: row.id,
        variantId: null,
        productExternalId: write.externalId as ExternalProductId,
        variantExternalId: null,
        oldQuantity: old,
        newQuantity: write.inventoryQuantity,
        sourceUpdatedAt: write.sourceUpdatedAt,
        observedAt: now,
      });
    }
  }
  await updateProducts(tx, storeId, fresh.filter((f) => !created.has(f.write.externalId)).map((f) => f.write));

  const variantWrites: VariantWrite[] = fresh.flatMap(({ item, write, productId }) =>
    item.variants.map((v) => ({
      productId,
      externalId: v.externalId,
      sku: v.sku ?? null,
      title: v.title ?? null,
      price: v.price ?? null,
      inventoryQuantity: item.inventoryTracking === 'none' ? null : (v.inventoryQuantity ?? null),
      inventoryTracked: v.inventoryTracked ?? null,
      stockItemId: v.stockItemId ?? null,
      levelsComplete: v.levelsComplete ?? null,
      sourceUpdatedAt: write.sourceUpdatedAt,
    })),
  );
  const createdVariants = await insertNewVariants(tx, storeId, variantWrites);
  const variantState = await lockVariants(tx, storeId, fresh.map((f) => f.productId));
  const listed = new Set<string>();
  const productExternal = new Map(fresh.map((f) => [f.productId as string, f.write.externalId]));
  const variantChange = (productId: ProductId, variantId: VariantId, externalId: string, old: number | null, next: number | null, at: Date) => {
    if (old === next) return;
    changes.push({
      storeId,
      level: 'variant',
      productId,
      variantId,
      productExternalId: productExternal.get(productId) as ExternalProductId,
      variantExternalId: externalId as ExternalVariantId,
      oldQuantity: old,
      newQuantity: next,
      sourceUpdatedAt: at,
      observedAt: now,
    });
  };
  for (const w of variantWrites) {
    const key = variantKey(w.productId, w.externalId);
    listed.add(key);
    const row = variantState.get(key)!;
    const old = createdVariants.has(key) || row.deleted ? null : row.inventoryQuantity;
    variantChange(w.productId, row.id, w.externalId, old, w.inventoryQuantity, w.sourceUpdatedAt);
  }
  await updateVariants(tx, storeId, variantWrites.filter((w) => !createdVariants.has(variantKey(w.productId, w.externalId))));

  // A product's variant list is complete: a variant it no longer lists has been removed.
  const removed = [...variantState.entries()].filter(([key, v]) => !listed.has(key) && !v.deleted).map(([, v]) => v);
  await markVariantsDeleted(tx, storeId, removed.map((v) => v.id));
  for (const v of removed) variantChange(v.productId, v.id, v.externalId, v.inventoryQuantity, null, now);

  const levels: LevelWrite[] = fresh.flatMap(({ item, write, productId }) =>
    item.variants.flatMap((v) =>
      (v.locationLevels ?? []).map((l) => ({
        variantId: variantState.get(variantKey(productId, v.externalId))!.id,
        locationId: l.locationId,
        locationName: l.locationName ?? null,
        available: l.available,
        at: l.at ?? write.sourceUpdatedAt,
      })),
    ),
  );
  await upsertLevels(tx, storeId, levels);

  await insertObservations(tx, changes);
  return { upserted: fresh.length, stale: items.length - fresh.length, duplicate: false, changes };
}

/**
 * Several deliveries' catalog changes in one transaction (a worker's leased batch). Each
 * delivery id is recorded with the write; a delivery recorded before (applied, then the worker
 * died before marking it processed) contributes nothing. Among changes to one product the
 * newest by source time wins, whatever order the platform delivered them in. Single-location
 * stock reports are applied after the products, each level newest-wins by its own time.
 */
export async function ingestCatalogParts(
  pool: pg.Pool,
  storeId: StoreId,
  parts: Array<{ delivery: Delivery; products?: ProductInput[]; levels?: StockLevelReport[] }>,
  now: Date = new Date(),
): Promise<CatalogIngestResult & { applied: Set<string>; levelsApplied: number }> {
  return withTransaction(pool, async (tx) => {
    const fresh = await recordDeliveries(tx, storeId, parts.map((p) => p.delivery));
    const taken = parts.filter((p) => fresh.has(`${p.delivery.source}\u0000${p.delivery.id}`));
    const products = taken.flatMap((p) => p.products ?? []).sort((a, b) => (a.updatedAt?.getTime() ?? 0) - (b.updatedAt?.getTime() ?? 0));
    const levels = taken.flatMap((p) => p.levels ?? []);
    const items = prepare(products);
    // Every product this batch touches is locked up front in the one order all catalog writes
    // use (locations, then products by external id), so the stock reports' products and the
    // written ones never deadlock with another batch or a recount.
    if (levels.length > 0) {
      await lockUncountedLocations(tx, storeId);
      const behind = await productsOfStockItems(tx, storeId, levels.map((l) => l.stockItemId));
      await lockProducts(tx, storeId, [...new Set([...items.map((p) => p.externalId as string), ...behind])]);
    }
    const applied = items.length ? await applyCatalog(tx, storeId, items, now) : { upserted: 0, stale: 0, duplicate: false, changes: [] };
    if (levels.length === 0) return { ...applied, applied: fresh, levelsApplied: 0 };
    const stock = await applyStockLevels(tx, storeId, levels, now);
    await insertObservations(tx, stock.changes);
    return { ...applied, changes: [...applied.changes, ...stock.changes], applied: fresh, levelsApplied: stock.applied };
  });
}

/** One delivery's single-location stock reports (the path outside a worker's batch). */
export async function ingestStockLevels(
  pool: pg.Pool,
  storeId: StoreId,
  levels: StockLevelReport[],
  opts: { now?: Date; delivery?: Delivery } = {},
): Promise<{ applied: number; duplicate: boolean; changes: InventoryChange[] }> {
  const now = opts.now ?? new Date();
  const result = await transactOnce(pool, storeId, opts.delivery, async (tx) => {
    await lockUncountedLocations(tx, storeId);
    await lockProducts(tx, storeId, await productsOfStockItems(tx, storeId, levels.map((l) => l.stockItemId)));
    const stock = await applyStockLevels(tx, storeId, levels, now);
    await insertObservations(tx, stock.changes);
    return stock;
  });
  if (result === DUPLICATE) return { applied: 0, duplicate: true, changes: [] };
  return { ...result, duplicate: false };
}

/**
 * A catalog write whose products are built from what is stored, inside the write's own
 * transaction (a partial update: one variant's stock, one item's title). `build` may refuse;
 * then nothing is written. Changes reach flows as with ingestCatalog.
 */
export async function ingestCatalogBuilt<R>(
  pool: pg.Pool,
  storeId: StoreId,
  build: (tx: pg.PoolClient) => Promise<{ products: ProductInput[] } | { refused: R }>,
  opts: { now?: Date } = {},
): Promise<{ ok: true; result: CatalogIngestResult } | { ok: false; refused: R }> {
  const now = opts.now ?? new Date();
  return withTransaction(pool, async (tx) => {
    const built = await build(tx);
    if ('refused' in built) return { ok: false as const, refused: built.refused };
    const items = prepare(built.products);
    const result = items.length ? await applyCatalog(tx, storeId, items, now) : { upserted: 0, stale: 0, duplicate: false, changes: [] };
    return { ok: true as const, result };
  });
}
