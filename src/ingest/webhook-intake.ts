// Intake of a platform webhook: verified on the raw body, then stored in the inbox (parked when
// it cannot be stored as JSON) and acknowledged. Normalising and writing happen in the worker (platforms allow a few
// seconds and retry on anything else). The store lookup and the inbox insert are one statement
// shared with the other deliveries in flight.
import type pg from 'pg';
import type { Connectors } from '../../connectors/registry.ts';
import type { WebhookRequest } from '../../connectors/connector.ts';
import { Platform } from '../model/store.ts';
import { coalesceCalls, type Coalesced } from '../util/coalesce-calls.ts';
import { unstorable } from '../util/storable-json.ts';
import { enqueueDeliveries, type IntakeItem, type IntakeResult } from '../db/repositories/webhook-inbox.ts';

type Delivery = { platform: Platform; shop: string; topic: string };

export type IntakeOutcome =
  | { status: 'no-endpoint' }
  /** The connector refused it before reading it. */
  | { status: 'refused'; platform: Platform; reason: 'unauthenticated' | 'malformed' | 'unsupported'; detail: string }
  /** Signed by the platform but for a shop we do not hold (removed, or never finished install). */
  | (Delivery & { status: 'unknown-shop' })
  /** A privacy topic for a shop we do not hold: there is nothing of it here to erase or export. */
  | (Delivery & { status: 'nothing-held' })
  /** This shop's deliveries are signed; one without the signature is not from the platform. */
  | (Delivery & { status: 'weaker-signature' })
  /** Nothing of an uninstalled shop is kept beyond what privacy law asks. */
  | (Delivery & { status: 'uninstalled' })
  /**
   * Signed, but jsonb cannot hold it (U+0000, nesting thousands deep): stored parked with its raw
   * bytes and `reason` for a replay after a fix, and acknowledged like any other.
   */
  | (Delivery & { status: 'parked'; reason: string })
  | { status: 'queued' | 'duplicate' };

export type WebhookIntake = { execute(platform: string, req: WebhookRequest): Promise<IntakeOutcome> };

export function createWebhookIntake(deps: { pool: pg.Pool; connectors: Connectors }): WebhookIntake {
  // One intake per platform: a statement names its source once and matches stores within it.
  const intakes = new Map<Platform, Coalesced<IntakeItem, IntakeResult>>();
  const intakeFor = (p: Platform) => {
    let found = intakes.get(p);
    if (!found) {
      // Two statements at once: the next batch is parsed and sent while the last one commits.
      // Dedupe is the unique key's (ON CONFLICT DO NOTHING), so overlap cannot store a delivery twice.
      found = coalesceCalls((items) => enqueueDeliveries(deps.pool, p, items), { maxBatch: 200, maxInFlight: 2 });
      intakes.set(p, found);
    }
    return found;
  };

  return {
    async execute(rawPlatform, req) {
      const parsed = Platform.safeParse(rawPlatform);
      const connector = parsed.success ? deps.connectors[parsed.data] : undefined;
      if (!parsed.success || !connector) return { status: 'no-endpoint' };
      const platform = parsed.data;
      const verdict = await connector.verifyWebhook(req);
      if (!verdict.ok) return { status: 'refused', platform, reason: verdict.reason, detail: verdict.detail };
      // Signed is not the same as storable: jsonb refuses U+0000 and nesting some thousands deep.
      // The platform signed it, so it is acknowledged and parked with its bytes, never refused
      // (a 4xx makes the platform retry, then drop the subscription).
      const bad = unstorable(verdict.payload);
      const parkedReason = bad ? `the payload cannot be stored: ${bad.path.slice(0, 8).map(String).join('.') || '(body)'} ${bad.message}` : undefined;
      const privacy = connector.acceptsWhileUninstalled?.(verdict.topic) ?? false;
      const result = await intakeFor(platform).submit({
        shop: verdict.shop,
        deliveryId: verdict.deliveryId,
        topic: verdict.topic,
        payload: bad ? null : verdict.payload,
        triggeredAt: verdict.triggeredAt,
        acceptWhileUninstalled: privacy,
        signedWith: verdict.signedWith,
        ...(parkedReason ? { parkedReason, rawBody: req.rawBody } : {}),
      });
      const delivery = { platform, shop: verdict.shop, topic: verdict.topic };
      switch (result.status) {
        case 'queued':
        case 'duplicate':
          return { status: result.status };
        case 'parked':
          return { ...delivery, status: 'parked', reason: parkedReason ?? 'parked' };
        case 'unknown-shop':
          return privacy ? { ...delivery, status: 'nothing-held' } : { ...delivery, status: 'unknown-shop' };
        case 'weaker-signature':
          return { ...delivery, status: 'weaker-signature' };
        case 'uninstalled':
          return { ...delivery, status: 'uninstalled' };
      }
    },
  };
}
