// Webhook authenticity, checked on the exact bytes received before anything is parsed. Our own
// HMAC over the raw Buffer: the library's validator takes the body as a string, and re-encoding
// could change the bytes Shopify signed.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { WebhookRequest, WebhookVerdict } from '../connector.ts';
import { parseExactJson } from '../exact-json.ts';

const SHOP_DOMAIN = /^[a-z0-9][a-z0-9-]*\.myshopify\.com$/;

/** Shopify sends `X-Shopify-*` on classic webhooks and the same names without `X-` on newer deliveries. */
function header(headers: WebhookRequest['headers'], name: string): string | undefined {
  const lower: Record<string, string | string[] | undefined> = {};
  for (const [k, v] of Object.entries(headers)) lower[k.toLowerCase()] = v;
  for (const key of [`x-shopify-${name}`, `shopify-${name}`]) {
    const v = lower[key];
    const value = Array.isArray(v) ? v[0] : v;
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
  }
  return undefined;
}

export function hmacMatches(rawBody: Buffer, secret: string, given: string): boolean {
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  const received = Buffer.from(given, 'base64');
  return received.length === expected.length && timingSafeEqual(received, expected);
}

export function verifyShopifyWebhook(req: WebhookRequest, secret: string): WebhookVerdict {
  const hmac = header(req.headers, 'hmac-sha256');
  if (!hmac) return { ok: false, reason: 'unauthenticated', detail: 'The X-Shopify-Hmac-Sha256 header is missing.' };
  if (!hmacMatches(req.rawBody, secret, hmac)) {
    return { ok: false, reason: 'unauthenticated', detail: 'The HMAC does not match the body.' };
  }
  const topic = header(req.headers, 'topic');
  const shop = header(req.headers, 'shop-domain')?.toLowerCase();
  // The event id is the same on every retry of one event; the webhook id is the fallback.
  const deliveryId = header(req.headers, 'event-id') ?? header(req.headers, 'webhook-id');
  if (!topic || !shop || !deliveryId) {
    return { ok: false, reason: 'malformed', detail: 'A signed webhook needs the Topic, Shop-Domain and Webhook-Id headers.' };
  }
  if (!SHOP_DOMAIN.test(shop)) return { ok: false, reason: 'malformed', detail: `${shop} is not a myshopify.com domain.` };
  let payload: unknown;
  try {
    // Ids past 2^53 (Shopify's own samples have them) stay exact, as strings.
    payload = parseExactJson(req.rawBody.toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed', detail: `Webhook ${deliveryId} (${topic}) is not valid JSON.` };
  }
  // The shape is not checked here: a signed delivery we cannot read is acknowledged and parked
  // by the worker (normalise parses it), never refused while Shopify listens.
  const at = header(req.headers, 'triggered-at');
  const triggeredAt = at ? new Date(at) : undefined;
  return {
    ok: true,
    topic,
    shop,
    deliveryId,
    payload,
    ...(triggeredAt && !Number.isNaN(triggeredAt.getTime()) ? { triggeredAt } : {}),
  };
}
