// `npm run bench`: runs each benchmark BENCH_REPEAT times (5 unless set), round-robin so that a
// spell of load elsewhere on the machine falls on several benchmarks rather than on all runs of
// one; prints one line per run, folds each benchmark's runs into its median with min and max,
// appends them to history.json and writes results.json (for tooling) and results.md (for people)
// next to this file.
import { writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { positiveInt } from './support/env.ts';
import { describeMachine } from './support/machine.ts';
import { foldRuns } from './repeat.ts';
import { appendHistory, historyRow, readHistory } from './history.ts';
import { join } from 'node:path';
import type { Benchmark, BenchResult } from './types.ts';
import { formatLine, formatMarkdown, formatText, passes, targetText, type Report } from './report.ts';
import { ingestEventsBench } from './ingest-events.bench.ts';
import { loadDrillBench } from './load-drill.bench.ts';
import { shopifyWebhooksBench, shopifyWebhooksP99Bench } from './shopify-webhooks.bench.ts';
import { flowStepsBench } from './flow-steps.bench.ts';
import { flowLatencyP50Bench, flowLatencyP99Bench } from './flow-latency.bench.ts';
import { lowInventoryBench } from './low-inventory.bench.ts';
import { priceDropBench } from './price-drop.bench.ts';
import { backInStockBench } from './back-in-stock.bench.ts';
import { listImportBench } from './list-import.bench.ts';
import { emailBlocksBench } from './email-blocks.bench.ts';
import { memoryEmbeddedBench, memoryWebBench, memoryWorkerBench } from './memory.bench.ts';

const benchmarks: Benchmark[] = [ingestEventsBench, flowStepsBench, flowLatencyP50Bench, flowLatencyP99Bench, lowInventoryBench, priceDropBench, backInStockBench, emailBlocksBench, shopifyWebhooksBench, shopifyWebhooksP99Bench, loadDrillBench, listImportBench, memoryWebBench, memoryWorkerBench, memoryEmbeddedBench];

const only = process.argv.slice(2);
const selected = only.length ? benchmarks.filter((b) => only.includes(b.id)) : benchmarks;
if (selected.length === 0) {
  console.error(`No benchmark named ${only.join(', ')}; known: ${benchmarks.map((b) => b.id).join(', ')}`);
  process.exit(2);
}

const repeat = positiveInt('BENCH_REPEAT', 5);
const runs = new Map<string, BenchResult[]>(selected.map((b) => [b.id, []]));
for (let round = 1; round <= repeat; round++) {
  for (const b of selected) {
    console.log(`running ${b.id} (${round} of ${repeat}) …`);
    const result = await b.run();
    console.log(`  ${formatLine(result)}`);
    runs.get(b.id)!.push(result);
  }
}
const results = selected.map((b) => foldRuns(b.id, runs.get(b.id)!));

const machine = await describeMachine();
const date = new Date().toISOString();
const history = await appendHistory(await readHistory(), {
  date,
  node: process.version,
  cores: machine.cores,
  postgres: machine.postgres,
  runs: repeat,
  rows: results.map((r) => historyRow(r, targetText(r))),
});
const report: Report = {
  environment: {
    date,
    node: process.version,
    cores: availableParallelism(),
    rssBytes: process.memoryUsage().rss,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    machine,
    repeat,
  },
  results,
  history,
};

console.log('');
console.log(formatText(report));
await writeFile(join(import.meta.dirname, 'results.json'), JSON.stringify(report, null, 2) + '\n');
await writeFile(join(import.meta.dirname, 'results.md'), formatMarkdown(report));

// A missed target fails the command, so a script or CI step can gate on it.
if (!results.every(passes)) process.exitCode = 1;
