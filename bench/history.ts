// Every run's rows, kept in bench/history.json so results.md can show how each figure moved.
// A row is keyed by its benchmark's id: a renamed row stays one line of history.
import { readFile, writeFile } from 'node:fs/promises';
import type { Row } from './repeat.ts';
import { passes } from './report.ts';

export type HistoryRow = {
  id: string;
  name: string;
  unit: string;
  value: number;
  valueRange: [number, number];
  limitName: string;
  limitValue: number;
  ratio: number;
  ratioRange: [number, number];
  target: string;
  ok: boolean;
};
export type HistoryEntry = { date: string; node: string; cores: number; postgres: string; runs: number; rows: HistoryRow[] };

export const HISTORY_FILE = new URL('./history.json', import.meta.url);

export async function readHistory(): Promise<HistoryEntry[]> {
  try {
    return JSON.parse(await readFile(HISTORY_FILE, 'utf8')) as HistoryEntry[];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

export function historyRow(r: Row, target: string): HistoryRow {
  return {
    id: r.id,
    name: r.name,
    unit: r.unit,
    value: r.value,
    valueRange: r.spread.value,
    limitName: r.limit.name,
    limitValue: r.limit.value,
    ratio: r.ratio,
    ratioRange: r.spread.ratio,
    target,
    ok: passes(r),
  };
}

export async function appendHistory(history: HistoryEntry[], entry: HistoryEntry): Promise<HistoryEntry[]> {
  const next = [...history, entry];
  await writeFile(HISTORY_FILE, JSON.stringify(next, null, 1) + '\n');
  return next;
}

/** The newest row of each benchmark, oldest benchmark first, with the date it was measured. */
export function latestRows(history: HistoryEntry[]): Array<HistoryRow & { date: string; runs: number }> {
  const latest = new Map<string, HistoryRow & { date: string; runs: number }>();
  for (const e of history) for (const r of e.rows) latest.set(r.id, { ...r, date: e.date, runs: e.runs });
  return [...latest.values()];
}
