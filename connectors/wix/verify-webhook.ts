// Wix posts each webhook as a JWT signed with the app's key pair (RS256). Nothing in it is read
// before jose has checked the signature, with RS256 pinned, against WIX_PUBLIC_KEY and the expiry
// (required). Wix sets no iss or aud on webhooks, so none is checked; the claims carry `data`, a
// JSON string of {eventType, instanceId, data (JSON string), identity}.
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { errors, jwtVerify } from 'jose';
import { z } from 'zod';
import type { WebhookRequest, WebhookVerdict } from '../connector.ts';

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

const Claims = z.object({ data: z.string(), iat: z.number().optional() });
const Envelope = z.object({
  instanceId: z.string().trim().min(1).max(100),
  eventType: z.string().trim().min(1).max(200),
  data: z.string(),
});
const WithEventId = z.looseObject({ id: z.string().trim().min(1).max(255) });

/**
 * Env files often hold a PEM on one line with literal \n; Wix's dashboard also hands the key out
 * as base64 of the PEM. Either way this gives the PEM.
 */
export function normalisePublicKey(key: string): string {
  const pem = key.includes('\\n') ? key.replace(/\\n/g, '\n') : key;
  return pem.includes('-----BEGIN') ? pem.trim() : Buffer.from(pem, 'base64').toString('utf8').trim();
}

function refuse(detail: string): WebhookVerdict {
  return { ok: false, reason: 'unauthenticated', detail };
}

export type WixVerifier = (req: WebhookRequest) => Promise<WebhookVerdict>;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function createWixVerifier(app: { appId?: string | undefined; publicKey?: string | undefined }): WixVerifier {
  let key: KeyObject | undefined;
  let keyProblem = 'Wix webhooks are not configured (WIX_PUBLIC_KEY is not set).';
  try {
    if (app.publicKey) key = createPublicKey(normalisePublicKey(app.publicKey));
  } catch {
    keyProblem = 'WIX_PUBLIC_KEY is not a PEM (or base64 of a PEM) public key.';
  }
  return async (req) => {
    if (!key) return { ok: false, reason: 'unsupported', detail: keyProblem };
    const jwt = req.rawBody.toString('utf8').trim();
    if (!COMPACT_JWS.test(jwt)) return refuse('The body is not a signed JWT.');
    let verified: unknown;
    try {
      // algorithms pins RS256: `none`, and HS256 keyed with the public key, are the classic forgeries.
      ({ payload: verified } = await jwtVerify(jwt, key, { algorithms: ['RS256'], requiredClaims: ['exp'] }));
    } catch (err) {
      if (err instanceof errors.JOSEAlgNotAllowed) return refuse('The JWT must be signed with RS256.');
      if (err instanceof errors.JOSEError) return refuse('The JWT signature or expiry did not verify.');
      throw err;
    }
    const claims = Claims.safeParse(verified);
    const envelope = claims.success ? Envelope.safeParse(parseJson(claims.data.data)) : undefined;
    const payload = envelope?.success ? parseJson(envelope.data.data) : undefined;
    if (!claims.success || !envelope?.success || payload === undefined) {
      return { ok: false, reason: 'malformed', detail: 'The signed webhook does not have the shape Wix documents.' };
    }
    const parsed = { instanceId: envelope.data.instanceId, eventType: envelope.data.eventType, payload };
    const iat = claims.data.iat;
    const eventId = WithEventId.safeParse(parsed.payload);
    // Standardised events carry an event id that is stable across retries. Legacy ones (Catalog
    // V1, AppRemoved) carry none: their content plus the signing time stands in, so retries of one
    // signed delivery dedupe, while two real changes with equal payloads are both kept.
    const deliveryId = eventId.success
      ? eventId.data.id
      : `h:${createHash('sha256').update(JSON.stringify([parsed.eventType, parsed.instanceId, parsed.payload, iat ?? null])).digest('base64url')}`;
    // No triggeredAt: catalog state is re-read and stamped with our clock when the worker fetches
    // it, so deletes must be ordered by that clock too, not by Wix's (legacy events only carry a
    // whole-second signing time). Events take their time from the checkout or order itself.
    return { ok: true, topic: parsed.eventType, shop: parsed.instanceId, deliveryId, payload: parsed.payload ?? {} };
  };
}
