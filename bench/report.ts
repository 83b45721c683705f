import type { BenchResult } from './types.ts';

export type Environment = {
  date: string;
  node: string;
  cores: number;
  /** Resident set size once every benchmark has finished, in bytes. */
  rssBytes: number;
  /** Highest resident set size the process reached during the run, in bytes. */
  maxRssBytes: number;
};

export type Report = { environment: Environment; results: BenchResult[] };

const whole = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

const lowerIsBetter = (r: BenchResult): boolean => r.better === 'lower';

export function passes(r: BenchResult): boolean {
  const meets = (value: number, bar: number) => (lowerIsBetter(r) ? value <= bar : value >= bar);
  return meets(r.ratio, r.target) && (r.valueTarget === undefined || meets(r.value, r.valueTarget));
}

/** "≥ 0.3", or "≤ 3" for lower-is-better, plus the value's own bar when there is one. */
function targetText(r: BenchResult): string {
  const cmp = lowerIsBetter(r) ? '≤' : '≥';
  const bar = `${cmp} ${r.target}`;
  return r.valueTarget === undefined ? bar : `${bar}, value ${cmp} ${rate(r.valueTarget, r.unit)}`;
}

const mb = (bytes: number): string => `${whole.format(bytes / 1024 / 1024)} MB`;
const rate = (value: number, unit: string): string => (unit.endsWith('/s') ? `${whole.format(value)}/s` : `${whole.format(value)} ${unit}`);

export function formatLine(r: BenchResult): string {
  const verdict = passes(r) ? 'ok' : 'BELOW TARGET';
  return `${r.name}: ${rate(r.value, r.unit)} | ${r.limit.name}: ${rate(r.limit.value, r.unit)} | ratio ${r.ratio.toFixed(2)} (target ${targetText(r)}) ${verdict}`;
}

export function formatText(report: Report): string {
  const env = report.environment;
  return [
    `Storeflow benchmarks — ${env.date}, node ${env.node}, ${env.cores} cores`,
    ...report.results.map(formatLine),
    `rss at end: ${mb(env.rssBytes)} | peak rss: ${mb(env.maxRssBytes)} | cores: ${env.cores}`,
  ].join('\n');
}

export function formatMarkdown(report: Report): string {
  const env = report.environment;
  const lines = [
    '# Benchmark results',
    '',
    `Run ${env.date} on node ${env.node}, ${env.cores} cores (\`os.availableParallelism()\`). Regenerate with \`npm run bench\`.`,
    '',
    '| benchmark | value | limit | limit value | ratio | target | verdict |',
    '|---|---:|---|---:|---:|---:|---|',
    ...report.results.map(
      (r) =>
        `| ${r.name} | ${rate(r.value, r.unit)} | ${r.limit.name} | ${rate(r.limit.value, r.unit)} | ${r.ratio.toFixed(2)} | ${targetText(r)} | ${passes(r) ? 'ok' : 'below target'} |`,
    ),
    '',
    `Resident memory at the end: ${mb(env.rssBytes)} (peak ${mb(env.maxRssBytes)}).`,
  ];
  for (const r of report.results) {
    lines.push('', `## ${r.name}`, '', '| detail | value |', '|---|---:|');
    for (const [k, v] of Object.entries(r.details)) lines.push(`| ${k} | ${typeof v === 'number' ? v.toLocaleString('en-US') : v} |`);
  }
  return lines.join('\n') + '\n';
}
