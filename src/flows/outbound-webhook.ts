// The webhook step: a signed POST. The idempotency key is the run's step visit, so a receiver
// can drop the duplicate a crash between our call and our bookkeeping may cause.
import { createHmac } from 'node:crypto';

export type WebhookCall = { url: string; key: string; body: unknown; signingKey: Buffer; timeoutMs?: number };

export function signatureHeader(signingKey: Buffer, timestamp: number, body: string): string {
  const mac = createHmac('sha256', signingKey).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

export async function callWebhook(c: WebhookCall, now: Date): Promise<{ ok: true } | { ok: false; error: string }> {
  const body = JSON.stringify(c.body);
  const timestamp = Math.floor(now.getTime() / 1000);
  try {
    const res = await fetch(c.url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': 'Storeflow-Webhook/1',
        'Idempotency-Key': c.key,
        'X-Storeflow-Signature': signatureHeader(c.signingKey, timestamp, body),
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(c.timeoutMs ?? 10_000),
    });
    await res.body?.cancel();
    return res.ok ? { ok: true } : { ok: false, error: `HTTP ${res.status}` };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}
