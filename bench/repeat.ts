// Repetitions of one benchmark folded into one row: the median of each figure, with its range.
// Each figure's median is taken on its own (the ratio's median is not the medians' quotient):
// on a shared, loaded machine the ratio of one run's two paths is the steadier reading.
import type { BenchResult } from './types.ts';

export type Spread = { runs: number; value: [number, number]; limit: [number, number]; ratio: [number, number]; ratios: number[] };
export type Row = BenchResult & { id: string; spread: Spread };

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const range = (xs: number[]): [number, number] => [Math.min(...xs), Math.max(...xs)];

export function foldRuns(id: string, runs: BenchResult[]): Row {
  const ratios = runs.map((r) => r.ratio);
  const mid = median(ratios);
  // Details come from the run whose ratio is nearest the median: its supporting figures belong together.
  const typical = runs.reduce((best, r) => (Math.abs(r.ratio - mid) < Math.abs(best.ratio - mid) ? r : best));
  return {
    ...typical,
    id,
    value: median(runs.map((r) => r.value)),
    limit: { name: typical.limit.name, value: median(runs.map((r) => r.limit.value)) },
    ratio: mid,
    spread: { runs: runs.length, value: range(runs.map((r) => r.value)), limit: range(runs.map((r) => r.limit.value)), ratio: range(ratios), ratios },
  };
}
