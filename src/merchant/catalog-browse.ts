// The merchant's catalog pages: search with paging, and one product with its stock history.
import type pg from 'pg';
import type { ProductId } from '../model/ids.ts';
import type { Product } from '../model/catalog.ts';
import type { Store } from '../model/store.ts';
import { findProductByExternalId, listObservations, type InventoryObservation } from '../db/repositories/catalog.ts';
import { productExternalId, searchProducts, type CatalogRow } from '../db/repositories/merchant-reads.ts';
import { itemForecasts } from '../db/repositories/sell-out-forecast.ts';

export const CATALOG_PAGE_SIZE = 25;

/** The pace the catalog page forecasts at: a week of Ordered Product. */
export const FORECAST_VELOCITY_DAYS = 7;

export type ForecastRow = CatalogRow & { forecastHours: number | null; unitsPerDay: number };

export async function browseCatalog(pool: pg.Pool, store: Store, q: { text: string; page: number }, now: Date = new Date()): Promise<{ rows: ForecastRow[]; total: number; page: number; pages: number }> {
  const { rows, total } = await searchProducts(pool, store.id, { text: q.text.trim(), offset: (q.page - 1) * CATALOG_PAGE_SIZE, limit: CATALOG_PAGE_SIZE });
  const forecasts = await itemForecasts(pool, rows.map((r) => ({ storeId: store.id, productId: r.id, variantId: null, velocityDays: FORECAST_VELOCITY_DAYS })), now);
  const withForecast = rows.map((r) => {
    const f = forecasts.get(r.id);
    return { ...r, forecastHours: f?.hours === null || f?.hours === undefined ? null : Math.round(f.hours), unitsPerDay: Math.round((f?.unitsPerDay ?? 0) * 10) / 10 };
  });
  return { rows: withForecast, total, page: q.page, pages: Math.max(1, Math.ceil(total / CATALOG_PAGE_SIZE)) };
}

export type ProductHistory = { product: Product; observations: InventoryObservation[] };

/** A product of this store with every recorded stock change; undefined for another store's id. */
export async function productHistory(pool: pg.Pool, store: Store, productId: ProductId): Promise<ProductHistory | undefined> {
  const externalId = await productExternalId(pool, store.id, productId);
  if (!externalId) return undefined;
  const product = await findProductByExternalId(pool, store.id, externalId);
  if (!product) return undefined;
  return { product, observations: await listObservations(pool, store.id, productId) };
}
