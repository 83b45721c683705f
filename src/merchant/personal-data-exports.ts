// Answers to privacy-law data requests, for the merchant to hand over: listed and downloadable
// in the app and through the API while they are within PERSONAL_DATA_EXPORT_RETENTION_DAYS of
// the request, then deleted by an hourly job. The stored copy keeps database column names; what
// the merchant downloads is camelCase like the rest of the API.
import type pg from 'pg';
import type { StoreId } from '../model/ids.ts';
import { deleteExpiredExports, listPersonalDataExports, readPersonalDataExport } from '../db/repositories/personal-data.ts';

const DAY_MS = 24 * 3600_000;

export type ExportSummary = { id: string; requestedAt: string; expiresAt: string; profiles: number; events: number };
export type ExportDocument = { id: string; requestedAt: string; expiresAt: string; requested: unknown; profiles: unknown[]; events: unknown[] };

const cutoff = (retentionDays: number, now: Date) => new Date(now.getTime() - retentionDays * DAY_MS);
const expiry = (requestedAt: Date, retentionDays: number) => new Date(requestedAt.getTime() + retentionDays * DAY_MS).toISOString();

const camel = (key: string) => key.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

/** A stored row's own column names in camelCase; what is inside (properties) is left as it came. */
function camelRow(row: unknown): unknown {
  if (row === null || typeof row !== 'object' || Array.isArray(row)) return row;
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [camel(k), v]));
}

export async function listExports(pool: pg.Pool, storeId: StoreId, retentionDays: number, now = new Date()): Promise<ExportSummary[]> {
  const rows = await listPersonalDataExports(pool, storeId, cutoff(retentionDays, now));
  return rows.map((r) => ({ id: r.requestId, requestedAt: r.requestedAt.toISOString(), expiresAt: expiry(r.requestedAt, retentionDays), profiles: r.profiles, events: r.events }));
}

export async function readExport(pool: pg.Pool, storeId: StoreId, id: string, retentionDays: number, now = new Date()): Promise<ExportDocument | undefined> {
  const found = await readPersonalDataExport(pool, storeId, id, cutoff(retentionDays, now));
  if (!found) return undefined;
  const data = (found.data ?? {}) as { requested?: unknown; profiles?: unknown[]; events?: unknown[] };
  return {
    id,
    requestedAt: found.requestedAt.toISOString(),
    expiresAt: expiry(found.requestedAt, retentionDays),
    requested: data.requested ?? [],
    profiles: (data.profiles ?? []).map(camelRow),
    events: (data.events ?? []).map(camelRow),
  };
}

/** Deletes every store's exports past the retention window; returns how many went. */
export async function expireExports(pool: pg.Pool, retentionDays: number, now = new Date()): Promise<number> {
  return deleteExpiredExports(pool, cutoff(retentionDays, now));
}
