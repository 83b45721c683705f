/** What every benchmark module hands back to the runner; one row of the report. */
export type BenchResult = {
  name: string;
  value: number;
  unit: string;
  /** The figure `value` is judged against: an upper bound on what this machine can do. */
  limit: { name: string; value: number };
  /** value / limit.value */
  ratio: number;
  /** The ratio this benchmark must reach: a floor, or a ceiling when `better` is 'lower'. */
  target: number;
  /**
   * 'lower' for times, where the limit is the best the design allows and the ratio says how many
   * of it the value took. Absent means higher is better.
   */
  better?: 'higher' | 'lower';
  /** A bar on `value` itself, for a benchmark with an absolute target beside its ratio. */
  valueTarget?: number;
  /** Supporting figures (counts, durations) kept in results.json for later comparison. */
  details: Record<string, number | string>;
};

export type Benchmark = {
  id: string;
  run(): Promise<BenchResult>;
};
