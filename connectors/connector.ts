// The one interface every platform connector implements. Connectors verify and normalise;
// they never write: ingest is the only writer of catalog and events.
import type pg from 'pg';
import type { Logger } from 'pino';
import type { ProductInput } from '../src/model/catalog.ts';
import type { PlatformRecord } from '../src/model/installation.ts';
import type { SecretBox } from '../src/security/secret-box.ts';
import type { Normalised } from '../src/model/normalised.ts';
import type { EventMapping, Platform, Store } from '../src/model/store.ts';

export type { Normalised };

/** One row of the low-inventory capability table (DESIGN §5): what the trigger may offer. */
export type LowInventoryCapability = {
  level: 'product' | 'variant';
  /** Canonical metric names allowed as trigger data at this level. */
  metrics: readonly string[];
};

export type Capabilities = {
  lowInventory: readonly LowInventoryCapability[];
  /** Whether the catalog is pulled from the platform (true) or pushed to our API (false). */
  pullsCatalog: boolean;
};

export type WebhookRequest = {
  headers: Readonly<Record<string, string | string[] | undefined>>;
  rawBody: Buffer;
};

/** The verdict on a webhook, reached before its body is parsed. */
export type WebhookVerdict =
  | {
      ok: true;
      topic: string;
      /** How the platform names the shop (domain, store hash, instance id). */
      shop: string;
      /** Stable across the platform's retries of one delivery. */
      deliveryId: string;
      payload: unknown;
      triggeredAt?: Date;
      /**
       * The proof the delivery carried, for platforms with more than one: once a store has sent
       * 'standard-webhooks', intake refuses anything weaker for it.
       */
      signedWith?: 'header' | 'standard-webhooks';
    }
  | { ok: false; reason: 'unauthenticated' | 'malformed' | 'unsupported'; detail: string };

export type NormaliseContext = {
  store: Store;
  mapping: EventMapping;
  /** The store's decrypted access token, when the platform gave one. */
  accessToken: string | null;
  /** When the platform says the change happened (orders stale retries). */
  triggeredAt: Date | null;
  /**
   * The stored tracked flag of these variants (by external id), as the platform's inventory item
   * last said; variants not known are absent. For payloads that no longer carry tracking.
   */
  trackedVariants?: (externalVariantIds: string[]) => Promise<Map<string, boolean>>;
  /**
   * Of these stock items (Shopify's inventory items), those stored with every location they are
   * stocked at: a single-location report of one can be applied as it is ('stock-levels').
   */
  summableStockItems?: (stockItemIds: string[]) => Promise<Set<string>>;
};

export type CatalogPage = { products: ProductInput[]; cursor: string | null };

/** What the worker hands a connector's scheduled job. */
export type JobHost = {
  /** For read-only repositories; a job's writes go through `record`. */
  pool: pg.Pool;
  secrets: SecretBox;
  logger: Logger;
  /** Saves what a platform call produced; false when a guarded write did not take. */
  record(r: PlatformRecord): Promise<boolean>;
};

/** Platform work on a schedule (token refresh, reconciliation, hook repair), run by the worker. */
export type ScheduledJob = {
  /** The Agenda job name, stored in agenda_jobs: never rename one that has run. */
  name: string;
  /** How often, in Agenda's words ('5 minutes', '1 day'). */
  every: string;
  run(host: JobHost): Promise<unknown>;
};

export interface Connector {
  readonly platform: Platform;
  readonly capabilities: Capabilities;
  verifyWebhook(req: WebhookRequest): Promise<WebhookVerdict> | WebhookVerdict;
  /**
   * Payload → common model, run by the worker, never in the request. Complete payloads normalise
   * purely; thin ones (BigCommerce sends ids only) fetch the object with the store's token first.
   * Throwing marks the delivery for retry; a payload that can never be understood returns 'ignored'.
   */
  normalise(topic: string, payload: unknown, ctx: NormaliseContext): Normalised[] | Promise<Normalised[]>;
  /** Pulls the catalog a page at a time, resumable from the cursor of the last page stored. */
  fetchCatalog(ctx: { store: Store; accessToken: string | null; cursor: string | null }): AsyncIterable<CatalogPage>;
  /**
   * Topics the platform still sends, and we must still act on, after the shop uninstalled us
   * (Shopify's privacy topics arrive up to 48 hours later). Absent: every topic is refused.
   */
  acceptsWhileUninstalled?(topic: string): boolean;
  /** The platform's scheduled work; each job runs once at a time across all workers. */
  scheduledJobs?(): readonly ScheduledJob[];
  /**
   * The host names the platform says the store's storefront answers on (its primary or custom
   * domain), read at each catalog sync. Links to them count as the store's own.
   */
  storefrontHosts?(ctx: { store: Store; accessToken: string | null }): Promise<string[]>;
}

/** The host of an absolute URL the platform reports (`https://shop.example.com/`), if it is one. */
export function hostOf(url: string | null | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const host = new URL(url.includes('://') ? url : `https://${url}`).hostname.toLowerCase().replace(/\.$/, '');
    return host || undefined;
  } catch {
    return undefined;
  }
}

/** Whether the capability table allows this level and metric combination. */
export function allowsLowInventory(c: Capabilities, level: 'product' | 'variant', metric: string): boolean {
  return c.lowInventory.some((row) => row.level === level && row.metrics.includes(metric));
}
