// The webhook step's HTTP call: a signed POST through the outbound guard. The idempotency key is
// the run's step visit, so a receiver can drop the duplicate a crash between our call and our
// bookkeeping may cause. No redirect is followed, and time and response size are capped.
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { LookupFunction } from 'node:net';
import https from 'node:https';
import { checkOutboundUrl, guardedAgent, type OutboundRules } from '../security/outbound-url.ts';

export const SIGNATURE_HEADER = 'X-Storeflow-Signature';
/** The most of a receiver's answer we read; the rest is dropped (the status is all we use). */
const MAX_RESPONSE_BYTES = 64 * 1024;
export const DEFAULT_CALL_TIMEOUT_MS = 10_000;
/** Attempts a webhook call gets before its run moves on with the step marked failed. */
export const WEBHOOK_MAX_ATTEMPTS = 5;

export type WebhookCall = {
  url: string;
  key: string;
  body: string;
  /** The store's signing secrets: the current one first, then one still inside its rotation overlap. */
  secrets: readonly string[];
  rules: OutboundRules;
  timeoutMs?: number;
  /** The resolver (default dns.lookup); whatever it answers still passes the guard before a connect. */
  lookup?: LookupFunction;
};

export type CallResult = { ok: true; status: number } | { ok: false; error: string; permanent: boolean; status?: number };

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`, one v1 per secret (see docs/webhooks.md). */
export function signatureHeader(secrets: readonly string[], timestamp: number, body: string): string {
  const macs = secrets.map((s) => `v1=${createHmac('sha256', s).update(`${timestamp}.${body}`).digest('hex')}`);
  return [`t=${timestamp}`, ...macs].join(',');
}

/** Errors that another attempt cannot fix: the guard refused the address, or the receiver said no. */
function isPermanentStatus(status: number): boolean {
  return (status >= 300 && status < 400) || (status >= 400 && status < 500 && status !== 408 && status !== 429);
}

export async function callWebhook(c: WebhookCall, now: Date): Promise<CallResult> {
  const checked = checkOutboundUrl(c.url, c.rules);
  if (!checked.ok) return { ok: false, error: `refused: the URL ${checked.reason}`, permanent: true };
  const url = checked.url;
  const timestamp = Math.floor(now.getTime() / 1000);
  const timeoutMs = c.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  return new Promise<CallResult>((resolve) => {
    const req = (url.protocol === 'https:' ? https : http).request(url, {
      method: 'POST',
      agent: guardedAgent(url, c.rules),
      headers: {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(c.body),
        'User-Agent': 'Storeflow-Webhook/1',
        'Idempotency-Key': c.key,
        [SIGNATURE_HEADER]: signatureHeader(c.secrets, timestamp, c.body),
      },
      signal: AbortSignal.timeout(timeoutMs),
      ...(c.lookup ? { lookup: c.lookup } : {}),
    });
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_RESPONSE_BYTES) res.destroy();
      });
      const done = () => {
        if (status >= 200 && status < 300) resolve({ ok: true, status });
        else if (status >= 300 && status < 400) resolve({ ok: false, error: `HTTP ${status}: redirects are not followed`, permanent: true, status });
        else resolve({ ok: false, error: `HTTP ${status}`, permanent: isPermanentStatus(status), status });
      };
      res.on('end', done);
      res.on('close', done);
      res.on('error', done);
    });
    req.on('error', (err: Error & { code?: string }) => {
      // The guard's refusal surfaces as a connection error naming the address it would not reach.
      const refused = /is not allowed/.test(err.message);
      const reason = err.name === 'AbortError' || err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : err.code ?? err.message;
      resolve({ ok: false, error: refused ? `refused: ${err.message}` : reason, permanent: refused });
    });
    req.end(c.body);
  });
}
