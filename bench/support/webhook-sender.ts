// The load generator for the Shopify webhook benchmark, on a thread of its own: it plays the
// platform, so its HTTP work must not queue behind the worker's drain on the benchmark's event
// loop (that would be counted as acknowledgement latency the app never had). It signs every
// delivery before the clock starts and posts over kept-alive node:http connections: the
// platform's own cost is not ours, and fetch() spent more CPU per request than the app did.
//
// It is open-loop: delivery i is due at start + i / rate whatever the app answers, as Shopify
// keeps sending while earlier deliveries wait. Latency runs from the due time, not from when a
// socket was free, so a stall is charged to every delivery it delayed (no coordinated omission).
import { Agent, request } from 'node:http';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { delivery } from './shopify-deliveries.ts';

/** `ratePerSecond`: the offered rate; `inFlight`: connections, so requests the platform may have outstanding at once. */
type Job = { url: string; seqs: number[]; ratePerSecond: number; inFlight: number };
/** `peakOutstanding`: most deliveries due and not yet answered at one time; `behindMs`: how late the last send left. */
export type Sent = { seconds: number; latenciesMs: number[]; peakOutstanding: number; behindMs: number };

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

type Prepared = { headers: Record<string, string>; body: Buffer };

function prepare(seqs: number[]): Prepared[] {
  return seqs.map((seq) => {
    const d = delivery(seq);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    for (const [k, v] of Object.entries(d.headers)) if (typeof v === 'string') headers[k] = v;
    return { headers, body: d.rawBody };
  });
}

/** Opens the connections before the clock starts, as a platform sending steadily has them open. */
async function warm(agent: Agent, target: URL, inFlight: number): Promise<void> {
  const health = new URL('/healthz', target);
  await Promise.all(
    Array.from({ length: inFlight }, () =>
      new Promise<void>((resolve, reject) => {
        const req = request(health, { agent }, (res) => {
          res.resume();
          res.on('end', resolve);
        });
        req.on('error', reject);
        req.end();
      }),
    ),
  );
}

async function send(url: string, prepared: Prepared[], job: Job, agent: Agent): Promise<Sent> {
  const target = new URL(url);
  const latenciesMs: number[] = [];
  const intervalMs = 1000 / job.ratePerSecond;
  let outstanding = 0;
  let peakOutstanding = 0;
  let behindMs = 0;
  let failure: Error | undefined;
  const posts: Array<Promise<void>> = [];
  const start = performance.now();
  try {
    for (let i = 0; i < prepared.length; ) {
      const now = performance.now();
      // Everything due by now leaves now: a late timer must not thin the offered rate.
      for (; i < prepared.length && start + i * intervalMs <= now; i++) {
        const due = start + i * intervalMs;
        behindMs = now - due;
        outstanding++;
        peakOutstanding = Math.max(peakOutstanding, outstanding);
        const p = prepared[i]!;
        posts.push(
          post(agent, target, p.headers, p.body).then(
            (res) => {
              latenciesMs.push(performance.now() - due);
              outstanding--;
              if (res.status !== 200) failure ??= new Error(`POST /webhooks/shopify answered ${res.status}: ${res.text.slice(0, 300)}`);
            },
            (err: unknown) => {
              outstanding--;
              failure ??= err instanceof Error ? err : new Error(String(err));
            },
          ),
        );
      }
      if (i < prepared.length) await new Promise((r) => setTimeout(r, Math.max(0, start + i * intervalMs - performance.now())));
    }
    await Promise.all(posts);
    if (failure) throw failure;
    return { seconds: (performance.now() - start) / 1000, latenciesMs, peakOutstanding, behindMs };
  } finally {
    agent.destroy();
  }
}

type FromThread = { kind: 'ready' } | { kind: 'sent'; sent: Sent } | { kind: 'failed'; error: string };

/**
 * Starts a sender thread for deliveries `seqs` and resolves once it has loaded and signed them
 * all, so that none of that lands in the measured window; `go()` then posts them to `url` at
 * `ratePerSecond`, over at most `inFlight` connections.
 */
export function prepareSender(job: Job): Promise<{ go(): Promise<Sent> }> {
  const thread = new Worker(new URL(import.meta.url), { workerData: job });
  let settle: { resolve: (s: Sent) => void; reject: (e: Error) => void } | undefined;
  const done = new Promise<Sent>((resolve, reject) => (settle = { resolve, reject }));
  done.catch(() => {}); // surfaced through go() or the ready promise, not as an unhandled rejection
  return new Promise((resolveReady, rejectReady) => {
    const fail = (e: Error) => {
      rejectReady(e);
      settle!.reject(e);
    };
    thread.on('message', (m: FromThread) => {
      if (m.kind === 'ready') resolveReady({ go: () => (thread.postMessage('go'), done) });
      else if (m.kind === 'sent') settle!.resolve(m.sent);
      else fail(new Error(m.error));
    });
    thread.once('error', fail);
    thread.once('exit', (code) => code !== 0 && fail(new Error(`the sender thread exited with code ${code}`)));
  });
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  const job = workerData as Job;
  const report = (m: FromThread) => port.postMessage(m);
  const agent = new Agent({ keepAlive: true, maxSockets: job.inFlight });
  const ready = async () => {
    const prepared = prepare(job.seqs);
    await warm(agent, new URL(job.url), job.inFlight);
    return prepared;
  };
  ready().then((prepared) => {
    port.once('message', () => {
      send(job.url, prepared, job, agent).then(
        (sent) => {
          report({ kind: 'sent', sent });
          port.close();
        },
        (err: unknown) => {
          report({ kind: 'failed', error: err instanceof Error ? err.message : String(err) });
          port.close();
        },
      );
    });
    report({ kind: 'ready' });
  }, (err: unknown) => report({ kind: 'failed', error: err instanceof Error ? err.message : String(err) }));
}
