// Dates and money as the merchant reads them: in the store's timezone and currency.
import { z } from 'zod';
import { DateTime } from 'luxon';
import type pg from 'pg';
import type { Store } from '../model/store.ts';
import { findStorePreferences, saveStorePreferences, type StorePreferences } from '../db/repositories/store-preferences.ts';

export type Locale = StorePreferences;

const TIMEZONES = new Set(Intl.supportedValuesOf('timeZone'));
const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

export const timezoneChoices = (): string[] => ['UTC', ...[...TIMEZONES].filter((z) => z !== 'UTC')];
export const currencyChoices = (): string[] => [...CURRENCIES];

export const LocaleForm = z.object({
  timezone: z.string().trim().refine((v) => v === 'UTC' || TIMEZONES.has(v), 'choose your store’s timezone from the list'),
  currency: z.string().trim().toUpperCase().refine((v) => CURRENCIES.has(v), 'choose your store’s currency from the list'),
});

export const storeLocale = (pool: pg.Pool, store: Store): Promise<Locale> => findStorePreferences(pool, store.id);

export async function saveStoreLocale(pool: pg.Pool, store: Store, body: unknown): Promise<{ ok: true; locale: Locale } | { ok: false; errors: Record<string, string> }> {
  const parsed = LocaleForm.safeParse(body);
  if (!parsed.success) return { ok: false, errors: Object.fromEntries(parsed.error.issues.map((i) => [String(i.path[0]), i.message])) };
  await saveStorePreferences(pool, store.id, parsed.data);
  return { ok: true, locale: parsed.data };
}

/** "4 May 2026, 14:07 CEST": in the store's timezone, with the zone named so it is never ambiguous. */
export function formatWhen(v: unknown, locale: Pick<Locale, 'timezone'>): string {
  if (v === null || v === undefined || v === '') return '—';
  const d = v instanceof Date ? v : new Date(String(v));
  if (Number.isNaN(d.getTime())) return String(v);
  return DateTime.fromJSDate(d).setZone(locale.timezone).setLocale('en-GB').toFormat('d LLL yyyy, HH:mm ZZZZ');
}

export function formatMoney(v: unknown, locale: Pick<Locale, 'currency'>): string {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(n)) return '—';
  return new Intl.NumberFormat('en', { style: 'currency', currency: locale.currency }).format(n);
}
