/** What every benchmark module hands back to the runner; one row of the report. */
export type BenchResult = {
  name: string;
  value: number;
  unit: string;
  /** The figure `value` is judged against: an upper bound on what this machine can do. */
  limit: { name: string; value: number };
  /** value / limit.value */
  ratio: number;
  /** The ratio this benchmark must reach. */
  target: number;
  /** Supporting figures (counts, durations) kept in results.json for later comparison. */
  details: Record<string, number | string>;
};

export type Benchmark = {
  id: string;
  run(): Promise<BenchResult>;
};
