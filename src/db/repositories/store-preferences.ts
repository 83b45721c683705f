// A store's display preferences: timezone and currency.
import type { Queryable } from '../pool.ts';
import type { StoreId } from '../../model/ids.ts';

export type StorePreferences = { timezone: string; currency: string };

export const DEFAULT_PREFERENCES: StorePreferences = { timezone: 'UTC', currency: 'USD' };

export async function findStorePreferences(db: Queryable, storeId: StoreId): Promise<StorePreferences> {
  const { rows } = await db.query<StorePreferences>('SELECT timezone, currency FROM store_preferences WHERE store_id = $1', [storeId]);
  return rows[0] ?? { ...DEFAULT_PREFERENCES };
}

export async function saveStorePreferences(db: Queryable, storeId: StoreId, p: StorePreferences): Promise<void> {
  await db.query(
    `INSERT INTO store_preferences (store_id, timezone, currency) VALUES ($1, $2, $3)
     ON CONFLICT (store_id) DO UPDATE SET timezone = EXCLUDED.timezone, currency = EXCLUDED.currency, updated_at = now()`,
    [storeId, p.timezone, p.currency],
  );
}
