// `npm run bench`: runs each benchmark in turn, prints one line per result, and writes
// results.json (for tooling) and results.md (for people) next to this file.
import { writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Benchmark, BenchResult } from './types.ts';
import { formatLine, formatMarkdown, formatText, passes, type Report } from './report.ts';
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

const results: BenchResult[] = [];
for (const b of selected) {
  console.log(`running ${b.id} …`);
  const result = await b.run();
  console.log(`  ${formatLine(result)}`);
  results.push(result);
}

const report: Report = {
  environment: {
    date: new Date().toISOString(),
    node: process.version,
    cores: availableParallelism(),
    rssBytes: process.memoryUsage().rss,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  },
  results,
};

console.log('');
console.log(formatText(report));
await writeFile(join(import.meta.dirname, 'results.json'), JSON.stringify(report, null, 2) + '\n');
await writeFile(join(import.meta.dirname, 'results.md'), formatMarkdown(report));

// A missed target fails the command, so a script or CI step can gate on it.
if (!results.every(passes)) process.exitCode = 1;
