// What a connector hands over when a platform grants us a shop: values only. The install use case
// (src/stores/install-store.ts) finds or creates the store, saves these, and runs the follow-ups.
import type { StoreId } from './ids.ts';
import type { Platform, Store } from './store.ts';

/** Facts a platform call produced that belong with the store; src/stores saves them. */
export type PlatformRecord =
  /** A catalog pull to reconcile what webhooks may have missed. */
  | { kind: 'catalog-sync-requested'; storeId: StoreId }
  | { kind: 'shopify-token-expiry'; storeId: StoreId; expiresAt: Date | null; refreshTokenExpiresAt: Date | null }
  /** Taken only while the store still holds `previousSealed`: an uninstall or reinstall meanwhile wins. */
  | { kind: 'shopify-token-refreshed'; storeId: StoreId; previousSealed: string; sealed: string; expiresAt: Date | null; refreshTokenExpiresAt: Date | null }
  | { kind: 'shopify-token-refresh-failed'; storeId: StoreId; message: string }
  | { kind: 'shopify-pixel-activated'; storeId: StoreId; webPixelId: string; appUrl: string; publicKey: string }
  | { kind: 'shopify-pixel-failed'; storeId: StoreId; message: string };

/** How a piece of platform work ended: done (with what to record), or refused by the platform. */
export type FollowUpOutcome = { ok: true; records?: PlatformRecord[] } | { ok: false; detail: string };

/** Platform work for a saved store (webhooks, scripts, pixels). */
export type FollowUp = (store: Store) => Promise<FollowUpOutcome>;

export type Installation = {
  platform: Platform;
  /** The platform's stable id for the shop (BigCommerce store hash, Wix instance id); null when the domain is the id. */
  externalId: string | null;
  /** The shop's domain, resolved only when no store holds the external id (it may cost a platform call). */
  domain: string | (() => Promise<string>);
  /** The grant, sealed; null when the platform issues tokens on demand. */
  accessTokenSealed: string | null;
  scopes: string[];
  /** Run in order once the store is saved; a refusal leaves the install unfinished, without its first sync. */
  followUps: FollowUp[];
  /** Run after the first sync is queued; a refusal is recorded, never failing the install. */
  afterSync?: FollowUp[];
};

/**
 * The connector's verdict on an install callback: the installation, or why there is none.
 * 'refused': the platform (or its library's checks) refused the grant: the merchant starts again.
 * 'unavailable': the platform did not answer the exchange properly: worth retrying.
 */
export type Grant = { ok: true; installation: Installation } | { ok: false; reason: 'refused' | 'unavailable'; detail: string };
