// The load generator for the Shopify webhook benchmark, on a thread of its own: it plays the
// platform, so its HTTP work must not queue behind the worker's drain on the benchmark's event
// loop (that would be counted as acknowledgement latency the app never had). It signs every
// delivery before the clock starts and posts over kept-alive node:http connections: the
// platform's own cost is not ours, and fetch() spent more CPU per request than the app did.
import { Agent, request } from 'node:http';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { runWithConcurrency, timed } from './concurrency.ts';
import { delivery } from './shopify-deliveries.ts';

type Job = { url: string; seqs: number[]; inFlight: number };
export type Sent = { seconds: number; latenciesMs: number[] };

function post(agent: Agent, url: URL, headers: Record<string, string>, body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function send({ url, seqs, inFlight }: Job): Promise<Sent> {
  const target = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: inFlight });
  const prepared = seqs.map((seq) => {
    const d = delivery(seq);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    for (const [k, v] of Object.entries(d.headers)) if (typeof v === 'string') headers[k] = v;
    return { headers, body: d.rawBody };
  });
  const latenciesMs: number[] = [];
  try {
    const seconds = await timed(() =>
      runWithConcurrency(prepared.length, inFlight, async (i) => {
        const start = performance.now();
        const res = await post(agent, target, prepared[i]!.headers, prepared[i]!.body);
        latenciesMs.push(performance.now() - start);
        if (res.status !== 200) throw new Error(`POST /webhooks/shopify answered ${res.status}: ${res.text.slice(0, 300)}`);
      }),
    );
    return { seconds, latenciesMs };
  } finally {
    agent.destroy();
  }
}

/** Posts deliveries `seqs` to `url` with `inFlight` requests at a time, from a sender thread. */
export function sendDeliveries(job: Job): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const thread = new Worker(new URL(import.meta.url), { workerData: job });
    thread.once('message', (m: { ok: true; sent: Sent } | { ok: false; error: string }) => (m.ok ? resolve(m.sent) : reject(new Error(m.error))));
    thread.once('error', reject);
    thread.once('exit', (code) => code !== 0 && reject(new Error(`the sender thread exited with code ${code}`)));
  });
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  send(workerData as Job).then(
    (sent) => port.postMessage({ ok: true, sent }),
    (err: unknown) => port.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) }),
  );
}
