import type { BenchResult } from './types.ts';
import type { Row } from './repeat.ts';
import type { Machine } from './support/machine.ts';
import { latestRows, type HistoryEntry } from './history.ts';

export type Environment = {
  date: string;
  node: string;
  cores: number;
  /** Resident set size once every benchmark has finished, in bytes. */
  rssBytes: number;
  /** Highest resident set size the process reached during the run, in bytes. */
  maxRssBytes: number;
  machine: Machine;
  /** Runs of each benchmark behind every row: each row is their median. */
  repeat: number;
};

export type Report = { environment: Environment; results: Row[]; history: HistoryEntry[] };

const whole = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

const lowerIsBetter = (r: BenchResult): boolean => r.better === 'lower';

export function passes(r: BenchResult): boolean {
  const meets = (value: number, bar: number) => (lowerIsBetter(r) ? value <= bar : value >= bar);
  return meets(r.ratio, r.target) && (r.valueTarget === undefined || meets(r.value, r.valueTarget));
}

/** "≥ 0.3", or "≤ 3" for lower-is-better, plus the value's own bar when there is one. */
export function targetText(r: BenchResult): string {
  const cmp = lowerIsBetter(r) ? '≤' : '≥';
  const bar = `${cmp} ${r.target}`;
  return r.valueTarget === undefined ? bar : `${bar}, value ${cmp} ${rate(r.valueTarget, r.unit)}`;
}

const mb = (bytes: number): string => `${whole.format(bytes / 1024 / 1024)} MB`;
const rate = (value: number, unit: string): string => (unit.endsWith('/s') ? `${whole.format(value)}/s` : `${whole.format(value)} ${unit}`);

export function formatLine(r: BenchResult | Row): string {
  const verdict = passes(r) ? 'ok' : 'BELOW TARGET';
  const spread = 'spread' in r && r.spread.runs > 1 ? ` [median of ${r.spread.runs}, ratio ${r.spread.ratio[0].toFixed(2)}–${r.spread.ratio[1].toFixed(2)}]` : '';
  return `${r.name}: ${rate(r.value, r.unit)} | ${r.limit.name}: ${rate(r.limit.value, r.unit)} | ratio ${r.ratio.toFixed(2)} (target ${targetText(r)}) ${verdict}${spread}`;
}

export function formatText(report: Report): string {
  const env = report.environment;
  return [
    `Storeflow benchmarks — ${env.date}, node ${env.node}, ${env.cores} cores`,
    ...report.results.map(formatLine),
    `rss at end: ${mb(env.rssBytes)} | peak rss: ${mb(env.maxRssBytes)} | cores: ${env.cores}`,
  ].join('\n');
}

const between = (lo: number, hi: number, unit: string) => (lo === hi ? '' : ` (${rate(lo, unit)} – ${rate(hi, unit)})`);
const ratioBetween = ([lo, hi]: [number, number]) => (lo === hi ? '' : ` (${lo.toFixed(2)} – ${hi.toFixed(2)})`);

function machineLines(env: Environment): string[] {
  const m = env.machine;
  const s = m.settings;
  return [
    '## Machine',
    '',
    `${m.cores} cores (\`os.availableParallelism()\`, ${m.cpu}), ${m.ramGiB} GiB RAM, Node ${m.node}, PostgreSQL ${m.postgres}.`,
    'The machine is shared with other work while benchmarks run, so absolute figures move from run to run; the ratio of',
    'two paths measured in the same run is the reading to compare.',
    '',
    '| Postgres setting | value |',
    '|---|---|',
    ...Object.entries(s).map(([k, v]) => `| ${k} | ${v} |`),
    '',
    s.autovacuum === 'off'
      ? 'Autovacuum is **off** on this test server: no table is vacuumed or analysed during a run, so dead rows from upserts stay in place and the planner keeps the statistics it had. Both paths of a row run under the same condition.'
      : `Autovacuum is ${s.autovacuum ?? 'unknown'} on this server.`,
  ];
}

export function formatMarkdown(report: Report): string {
  const env = report.environment;
  const lines = [
    '# Benchmark results',
    '',
    `Last run ${env.date}: ${report.results.map((r) => r.id).join(', ')}. Regenerate with \`npm run bench\` (every benchmark, ` +
      `${env.repeat} runs each) or \`npm run bench -- <id> …\`; \`BENCH_REPEAT=n\` sets the runs per benchmark.`,
    'Each row is the median of its runs, with the lowest and highest in brackets; a row not in the last run keeps its latest figure and date.',
    '',
    ...machineLines(env),
    '',
    '## Latest figures',
    '',
    '| benchmark | value | limit | limit value | ratio | target | verdict | runs | measured |',
    '|---|---:|---|---:|---:|---:|---|---:|---|',
    ...latestRows(report.history).map(
      (r) =>
        `| ${r.name} | ${rate(r.value, r.unit)}${between(r.valueRange[0], r.valueRange[1], r.unit)} | ${r.limitName} | ${rate(r.limitValue, r.unit)} | ${r.ratio.toFixed(2)}${ratioBetween(r.ratioRange)} | ${r.target} | ${r.ok ? 'ok' : 'below target'} | ${r.runs} | ${r.date.slice(0, 10)} |`,
    ),
    '',
    `Resident memory of the benchmark runner at the end of the last run: ${mb(env.rssBytes)} (peak ${mb(env.maxRssBytes)}).`,
    '',
    '## History',
    '',
    'Every run of every row, newest first (bench/history.json).',
    '',
    '| date | benchmark | value | limit | limit value | ratio | runs | node, cores |',
    '|---|---|---:|---|---:|---:|---:|---|',
    ...[...report.history].reverse().flatMap((e) =>
      e.rows.map(
        (r) =>
          `| ${e.date.slice(0, 16).replace('T', ' ')} | ${r.name} | ${rate(r.value, r.unit)}${between(r.valueRange[0], r.valueRange[1], r.unit)} | ${r.limitName} | ${rate(r.limitValue, r.unit)} | ${r.ratio.toFixed(2)}${ratioBetween(r.ratioRange)} | ${e.runs} | ${e.node}, ${e.cores} |`,
      ),
    ),
  ];
  for (const r of report.results) {
    lines.push('', `## ${r.name}`, '', `Details of the run nearest the median; ratio of each run: ${r.spread.ratios.map((x) => x.toFixed(2)).join(', ')}.`, '', '| detail | value |', '|---|---:|');
    for (const [k, v] of Object.entries(r.details)) lines.push(`| ${k} | ${typeof v === 'number' ? v.toLocaleString('en-US') : v} |`);
  }
  return lines.join('\n') + '\n';
}
