// The store's back-in-stock request window on the store settings page: a number of days, in
// the merchant's words, checked here and kept by ingest (requests made after it take it).
import type pg from 'pg';
import { z } from 'zod';
import type { Store } from '../model/store.ts';
import { backInStockSettings, saveBackInStockSettings } from '../ingest/back-in-stock.ts';

const Form = z.object({
  request_days: z.string().trim().regex(/^\d{1,4}$/, 'enter a whole number of days, such as 90').transform(Number)
    .pipe(z.number().int().min(1, 'enter 1 day or more').max(365, 'enter 365 days or less')),
});

export async function requestWindowForm(pool: pg.Pool, store: Pick<Store, 'id'>): Promise<{ request_days: string }> {
  return { request_days: String((await backInStockSettings(pool, store.id)).requestDays) };
}

export async function saveRequestWindow(pool: pg.Pool, store: Pick<Store, 'id'>, body: unknown): Promise<{ ok: true } | { ok: false; errors: Record<string, string> }> {
  const parsed = Form.safeParse(body);
  if (!parsed.success) return { ok: false, errors: { request_days: parsed.error.issues[0]?.message ?? 'enter a whole number of days' } };
  await saveBackInStockSettings(pool, store.id, { requestDays: parsed.data.request_days });
  return { ok: true };
}
