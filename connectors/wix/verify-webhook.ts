// Wix posts each webhook as a JWT signed with the app's key pair (RS256). Nothing in it is read
// before the SDK has checked the signature and expiry against WIX_PUBLIC_KEY.
import { createHash } from 'node:crypto';
import { AppStrategy, createClient } from '@wix/sdk';
import { z } from 'zod';
import type { WebhookRequest, WebhookVerdict } from '../connector.ts';

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

const Header = z.looseObject({ alg: z.string() });
const Claims = z.looseObject({ iat: z.number().optional() });
const Parsed = z.object({
  instanceId: z.string().trim().min(1).max(100),
  eventType: z.string().trim().min(1).max(200),
  payload: z.unknown(),
});
const WithEventId = z.looseObject({ id: z.string().trim().min(1).max(255) });

function decodeSegment(segment: string): unknown {
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

/** Env files often hold a PEM on one line with literal \n; the SDK wants real newlines or base64. */
export function normalisePublicKey(key: string): string {
  return key.includes('\\n') ? key.replace(/\\n/g, '\n') : key;
}

function refuse(detail: string): WebhookVerdict {
  return { ok: false, reason: 'unauthenticated', detail };
}

export type WixVerifier = (req: WebhookRequest) => Promise<WebhookVerdict>;

export function createWixVerifier(app: { appId?: string | undefined; publicKey?: string | undefined }): WixVerifier {
  const publicKey = app.publicKey ? normalisePublicKey(app.publicKey) : undefined;
  const verifier = publicKey ? createClient({ auth: AppStrategy({ appId: app.appId ?? '', publicKey }) }) : undefined;
  return async (req) => {
    if (!verifier) return { ok: false, reason: 'unsupported', detail: 'Wix webhooks are not configured (WIX_PUBLIC_KEY is not set).' };
    const jwt = req.rawBody.toString('utf8').trim();
    if (!COMPACT_JWS.test(jwt)) return refuse('The body is not a signed JWT.');
    const [headerPart, claimsPart] = jwt.split('.') as [string, string, string];
    const header = Header.safeParse(decodeSegment(headerPart));
    // Checked here as well as by the verifier: `none` and HS256 keyed with the public key are the
    // classic JWT forgeries, and only RS256 is what Wix signs with.
    if (!header.success || header.data.alg !== 'RS256') return refuse('The JWT must be signed with RS256.');
    let parsed: z.infer<typeof Parsed>;
    try {
      parsed = Parsed.parse(await verifier.webhooks.parseJWT(jwt));
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'string' && code.startsWith('ERR_J')) return refuse('The JWT signature or expiry did not verify.');
      if (err instanceof SyntaxError || err instanceof z.ZodError || /Unexpected type of JWT data/.test((err as Error).message)) {
        return { ok: false, reason: 'malformed', detail: 'The signed webhook does not have the shape Wix documents.' };
      }
      return refuse('The JWT did not verify.');
    }
    const iat = Claims.safeParse(decodeSegment(claimsPart)).data?.iat;
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
