// Authenticates a webhook delivery before anything in it is trusted. BigCommerce deliveries
// carry the custom header we registered with each hook; newer deliveries are also signed the
// Standard Webhooks way with the client secret, and when those headers are there they must hold.
// Which proof a store must show is decided at intake: once a store's deliveries have carried a
// Standard Webhooks signature, one with the static header alone is refused (stores.webhook_signing).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { WebhookRequest, WebhookVerdict } from '../connector.ts';
import { parseExactJson } from '../exact-json.ts';
import { WebhookEnvelope, hashOfContext } from './schemas.ts';

/** The custom header each hook is registered with (lower case, as node presents headers). */
export const SECRET_HEADER = 'x-storeflow-webhook-token';
const STANDARD_HEADERS = ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const;

/**
 * The per-store value of the secret header. It is derived from the client secret rather than
 * stored, so verification needs no lookup before the sender is authenticated and a leak of one
 * store's value says nothing about another's. Bump the version to rotate every store at once
 * (then re-register the hooks).
 */
export function hookSecret(clientSecret: string, storeHash: string): string {
  return createHmac('sha256', clientSecret).update(`bigcommerce-hook:v1:${storeHash}`).digest('base64url');
}

function header(req: WebhookRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function sameSecret(given: string, expected: string): boolean {
  // Hash both so the comparison is constant time whatever length the sender chose.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export function verifyBigCommerceWebhook(req: WebhookRequest, clientSecret: string | undefined): WebhookVerdict {
  if (!clientSecret) return { ok: false, reason: 'unsupported', detail: 'BigCommerce app credentials are not configured.' };
  const given = header(req, SECRET_HEADER);
  if (!given) return { ok: false, reason: 'unauthenticated', detail: `The ${SECRET_HEADER} header is missing.` };

  let json: unknown;
  try {
    json = parseExactJson(req.rawBody.toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed', detail: 'The body is not JSON.' };
  }
  // The store hash in the body picks which secret to expect; a forged hash just expects another.
  const envelope = WebhookEnvelope.safeParse(json);
  if (!envelope.success) return { ok: false, reason: 'malformed', detail: 'The body is not a BigCommerce webhook envelope.' };
  const storeHash = hashOfContext(envelope.data.producer);
  if (!sameSecret(given, hookSecret(clientSecret, storeHash))) {
    return { ok: false, reason: 'unauthenticated', detail: `The ${SECRET_HEADER} header does not match.` };
  }

  const present = STANDARD_HEADERS.filter((h) => header(req, h) !== undefined);
  if (present.length > 0) {
    if (present.length < STANDARD_HEADERS.length) return { ok: false, reason: 'unauthenticated', detail: 'Incomplete webhook signature headers.' };
    try {
      new Webhook(Buffer.from(clientSecret, 'utf8'), { format: 'raw' }).verify(
        req.rawBody,
        Object.fromEntries(STANDARD_HEADERS.map((h) => [h, header(req, h)!])),
      );
    } catch {
      return { ok: false, reason: 'unauthenticated', detail: 'The webhook signature does not verify.' };
    }
  }

  const e = envelope.data;
  return {
    ok: true,
    topic: e.scope,
    shop: storeHash,
    // The payload hash is the same on every retry of one event, so it is the dedupe key.
    deliveryId: e.hash ?? createHash('sha256').update(req.rawBody).digest('hex'),
    payload: e,
    triggeredAt: new Date(e.created_at * 1000),
    signedWith: present.length > 0 ? 'standard-webhooks' : 'header',
  };
}
