// The load the memory gates are measured under, in two phases:
// 1. burst: 40 calls of 1,000 Started Checkout events (3 items each), 2 in flight: the biggest
//    batches the API takes, the shape that first pushed the embedded database past 1 GB;
// 2. drill: the load drill's sustained mix for `seconds`: 50 calls/s of 10 events plus 50 signed
//    Shopify orders/create webhooks/s, 10 connections each.
import { randomBytes, randomUUID } from 'node:crypto';
import autocannon, { type Result } from 'autocannon';
import { fixture, signedDelivery } from '../../test/fixtures/shopify/kit.ts';
import { apiBody, checkoutBatch } from './checkout-events.ts';

export const BURST_CALLS = 40;
export const BURST_EVENTS_PER_CALL = 1_000;
const BURST_IN_FLIGHT = 2;
const DRILL_EVENTS_PER_CALL = 10;
const DRILL_CALLS_PER_SECOND = 50;
const DRILL_WEBHOOKS_PER_SECOND = 50;
const DRILL_CONNECTIONS = 10;

export type LoadTally = { burstEvents: number; burstSeconds: number; drillEvents: number; drillWebhooks: number; drillSeconds: number; failures: number };

export async function burst(baseUrl: string, privateKey: string): Promise<{ events: number; seconds: number; failures: number }> {
  const runId = randomBytes(4).toString('hex');
  let next = 0;
  let events = 0;
  let failures = 0;
  const started = Date.now();
  const lane = async () => {
    for (;;) {
      const i = next++;
      if (i >= BURST_CALLS) return;
      const res = await fetch(`${baseUrl}/api/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${privateKey}` },
        body: apiBody(checkoutBatch(runId, i, BURST_EVENTS_PER_CALL, 3)),
      });
      const text = await res.text();
      if (res.status !== 202) {
        failures++;
        continue;
      }
      events += (JSON.parse(text) as { accepted: number }).accepted;
    }
  };
  await Promise.all(Array.from({ length: BURST_IN_FLIGHT }, lane));
  return { events, seconds: (Date.now() - started) / 1000, failures };
}

export async function drill(baseUrl: string, privateKey: string, seconds: number): Promise<{ events: number; webhooks: number; seconds: number; failures: number }> {
  const runId = randomBytes(4).toString('hex');
  let call = 0;
  let events = 0;
  let webhooks = 0;
  const order = fixture('orders-create');
  const eventsLoad = autocannon({
    url: baseUrl,
    connections: DRILL_CONNECTIONS,
    overallRate: DRILL_CALLS_PER_SECOND,
    amount: DRILL_CALLS_PER_SECOND * seconds,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        path: '/api/v1/events',
        setupRequest: (req) => {
          const n = call++;
          const batch = Array.from({ length: DRILL_EVENTS_PER_CALL }, (_, i) => ({
            metric: 'Viewed Product',
            profile: { email: `shopper-${(n * DRILL_EVENTS_PER_CALL + i) % 5000}@example.com` },
            properties: { ProductID: `p-${i}`, Price: 19.5, Name: 'Linen Shirt' },
            uniqueId: `${runId}-${n}-${i}`,
          }));
          return { ...req, headers: { 'content-type': 'application/json', authorization: `Bearer ${privateKey}` }, body: JSON.stringify({ events: batch }) };
        },
        onResponse: (status, body) => {
          if (status === 202) events += (JSON.parse(body) as { accepted: number }).accepted;
        },
      },
    ],
  });
  const webhookLoad = autocannon({
    url: baseUrl,
    connections: DRILL_CONNECTIONS,
    overallRate: DRILL_WEBHOOKS_PER_SECOND,
    amount: DRILL_WEBHOOKS_PER_SECOND * seconds,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        path: '/webhooks/shopify',
        setupRequest: (req) => {
          const d = signedDelivery('orders/create', { ...order, id: Number(`9${Date.now() % 1e9}`), name: `#${randomUUID().slice(0, 8)}` });
          const headers: Record<string, string> = { 'content-type': 'application/json' };
          for (const [k, v] of Object.entries(d.headers)) if (typeof v === 'string') headers[k] = v;
          return { ...req, headers, body: d.rawBody };
        },
        onResponse: (status) => {
          if (status === 200) webhooks++;
        },
      },
    ],
  });
  const started = Date.now();
  const [e, h] = (await Promise.all([eventsLoad, webhookLoad])) as [Result, Result];
  const failures = e.non2xx + h.non2xx + e.errors + h.errors + e.timeouts + h.timeouts;
  return { events, webhooks, seconds: (Date.now() - started) / 1000, failures };
}
