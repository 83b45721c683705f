// Authenticates a webhook delivery before anything in it is trusted. BigCommerce deliveries
// carry the custom header we registered with each hook, or are signed the Standard Webhooks way
// with the client secret, or both; each proof that is present must hold, and one is enough.
// Which proof a store must show is decided at intake: once a store's deliveries have carried a
// Standard Webhooks signature, one with the static header alone is refused (stores.webhook_signing).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { WebhookRequest, WebhookVerdict } from '../connector.ts';
import { parseExactJson } from '../exact-json.ts';
import { WebhookEnvelope, hashOfContext } from './payload-schemas.ts';

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

/**
 * How old a Standard Webhooks timestamp may be. BigCommerce retries a delivery it could not hand
 * over after 60 s, 180 s, 300 s, 600 s, 900 s, 1800 s, 1 h, 2 h, 6 h, 14 h and 24 h, about 48
 * hours in all, then deactivates the hook (developer docs, "Webhooks Overview", callback retry
 * mechanism). The Standard Webhooks spec has each attempt signed with the time of that attempt,
 * but BigCommerce does not say that its retries are re-signed; if a retry carried the first
 * attempt's time, a minutes-wide window would refuse every retry of a delivery we failed to take,
 * and 401s through the whole schedule end in the hook being deactivated. So the window spans the
 * schedule (with an hour to spare). A captured delivery replayed inside it is harmless: its hash
 * (and webhook-id) dedupe it against the inbox, which keeps ids for DELIVERY_RETENTION_DAYS.
 */
export const SIGNATURE_MAX_AGE_S = 49 * 3600;
/** Clocks drift; a timestamp further ahead than this is not one BigCommerce made. */
const SIGNATURE_MAX_SKEW_S = 5 * 60;

/** Checks the Standard Webhooks signature (HMAC over id.timestamp.body, key = the client secret). */
function standardSignatureHolds(req: WebhookRequest, clientSecret: string, now: Date): boolean {
  const id = header(req, 'webhook-id')!;
  const at = header(req, 'webhook-timestamp')!;
  const given = header(req, 'webhook-signature')!;
  if (!/^\d{1,12}$/.test(at)) return false;
  const age = Math.floor(now.getTime() / 1000) - Number(at);
  if (age > SIGNATURE_MAX_AGE_S || age < -SIGNATURE_MAX_SKEW_S) return false;
  // The library signs as BigCommerce does; its own verify() would also hold us to a 5-minute window.
  let expected: string;
  try {
    expected = new Webhook(Buffer.from(clientSecret, 'utf8'), { format: 'raw' }).sign(id, new Date(Number(at) * 1000), req.rawBody);
  } catch {
    return false;
  }
  // The header may list several space-separated signatures (key rotation); one must match.
  return given.split(' ').some((candidate) => sameSecret(candidate, expected));
}

export function verifyBigCommerceWebhook(req: WebhookRequest, clientSecret: string | undefined, now: Date = new Date()): WebhookVerdict {
  if (!clientSecret) return { ok: false, reason: 'unsupported', detail: 'BigCommerce app credentials are not configured.' };
  const given = header(req, SECRET_HEADER);
  const present = STANDARD_HEADERS.filter((h) => header(req, h) !== undefined);
  if (present.length > 0 && present.length < STANDARD_HEADERS.length) return { ok: false, reason: 'unauthenticated', detail: 'Incomplete webhook signature headers.' };
  const standard = present.length === STANDARD_HEADERS.length;
  // Either proof will do: the Standard Webhooks signature alone (as BigCommerce signs deliveries
  // to hooks registered without our header), or the header we register with each hook.
  if (!given && !standard) return { ok: false, reason: 'unauthenticated', detail: `Neither the ${SECRET_HEADER} header nor a webhook signature is present.` };
  if (standard && !standardSignatureHolds(req, clientSecret, now)) {
    return { ok: false, reason: 'unauthenticated', detail: 'The webhook signature does not verify, or its timestamp is outside the retry window.' };
  }

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
  // A header that is sent must hold, even beside a good signature.
  if (given !== undefined && !sameSecret(given, hookSecret(clientSecret, storeHash))) {
    return { ok: false, reason: 'unauthenticated', detail: `The ${SECRET_HEADER} header does not match.` };
  }

  const e = envelope.data;
  return {
    ok: true,
    topic: e.scope,
    shop: storeHash,
    // The payload hash is the same on every retry of one event, so it is the dedupe key.
    deliveryId: e.hash ?? createHash('sha256').update(req.rawBody).digest('hex'),
    payload: e,
    ...(e.created_at ? { triggeredAt: new Date(e.created_at * 1000) } : {}),
    signedWith: standard ? 'standard-webhooks' : 'header',
  };
}
