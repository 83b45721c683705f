// The merchant's getting-started checklist: is the store connected, is the catalog in, has the
// storefront sent events, can messages go out, is a flow live.
import type pg from 'pg';
import type { Config } from '../config.ts';
import type { Store } from '../model/store.ts';
import { Metrics } from '../model/event.ts';
import { findSync, type CatalogSync } from '../db/repositories/catalog-syncs.ts';
import { catalogReadiness, type CatalogReadiness } from '../db/repositories/support.ts';
import { lastEventTimes } from '../db/repositories/merchant-reads.ts';
import { findPixelState, type PixelState } from '../db/repositories/shopify-web-pixels.ts';
import { listStoreFlows } from '../flows/flow-service.ts';
import { formatWhen, type Locale } from './store-locale.ts';

export type ChecklistItem = { key: string; title: string; done: boolean; detail: string; link?: { href: string; label: string } };

export type Onboarding = {
  items: ChecklistItem[];
  catalog: CatalogReadiness;
  sync: CatalogSync | undefined;
  lastSeen: { viewedProduct: Date | null; startedCheckout: Date | null };
};

/** What the merchant should know about the Shopify web pixel, in front of the events seen. */
function pixelText(pixel: PixelState | undefined, locale: Locale): string {
  if (!pixel) return 'Storefront tracking not activated yet: the web pixel is switched on shortly. ';
  if (pixel.status === 'active') return 'Storefront tracking activated (Shopify web pixel). ';
  const reason = (pixel.lastError ?? 'Shopify refused the web pixel').replace(/\.$/, '');
  const retry = pixel.nextAttemptAt ? ` It is tried again automatically at ${formatWhen(pixel.nextAttemptAt, locale)}.` : '';
  return `Storefront tracking not activated: ${reason}.${retry} `;
}

/**
 * A custom catalog's low-inventory trigger stays off until support has checked that the catalog
 * carries stock and the events carry product ids; the merchant learns that here, and what to send.
 */
function lowInventoryItem(store: Store): ChecklistItem | null {
  if (store.platform !== 'custom' && store.lowInventoryCatalog !== 'custom') return null;
  if (store.customLowInventoryEnabled) {
    return { key: 'low-inventory', title: 'Low-inventory trigger enabled', done: true, detail: 'Support has checked your catalog and events: low-inventory flows can go live.' };
  }
  return {
    key: 'low-inventory',
    title: 'Ask support to enable the low-inventory trigger',
    done: false,
    detail:
      `With your own catalog, the low-inventory trigger needs support to enable it first. Push your catalog with stock levels and send a few ` +
      `Viewed Product, Added to Cart or Started Checkout events and one Placed Order with product ids, then write to Storeflow support with ` +
      `your store domain (${store.domain}) and store id (${store.id}), naming the events and the fields that hold the product id and price. ` +
      `Support checks them against your data and turns the trigger on; until then the other flows work as usual.`,
  };
}

export async function onboarding(pool: pg.Pool, config: Pick<Config, 'smtpUrl' | 'sms'>, store: Store, locale: Locale = { timezone: 'UTC', currency: 'USD' }): Promise<Onboarding> {
  const [catalog, sync, seen, flows, pixel] = await Promise.all([
    catalogReadiness(pool, store.id),
    findSync(pool, store.id),
    lastEventTimes(pool, store.id, [Metrics.viewedProduct, Metrics.startedCheckout]),
    listStoreFlows(pool, store),
    store.platform === 'shopify' ? findPixelState(pool, store.id) : undefined,
  ]);
  const lastSeen = { viewedProduct: seen[Metrics.viewedProduct] ?? null, startedCheckout: seen[Metrics.startedCheckout] ?? null };
  const live = flows.filter((f) => f.status === 'live');
  const connection =
    store.platform === 'custom' ? 'Custom catalog: your catalog and events arrive through the API with your private key.' : `Connected to ${store.platform} as ${store.domain}.`;
  const syncText = sync
    ? `Last sync ${sync.status}${sync.finishedAt ? ` at ${formatWhen(sync.finishedAt, locale)}` : ''}${sync.lastError ? `; error: ${sync.lastError}` : ''}.`
    : store.platform === 'custom' ? 'Pushed through PUT /api/v1/catalog/items.' : 'The first import has not started yet.';
  const channels = [config.smtpUrl ? 'email over SMTP' : null, config.sms.providerUrl ? 'SMS through the provider' : null].filter(Boolean);
  return {
    catalog,
    sync,
    lastSeen,
    items: [
      { key: 'connection', title: 'Store connected', done: store.status === 'active', detail: store.status === 'active' ? connection : 'The app was uninstalled from this store.' },
      {
        key: 'catalog',
        title: 'Catalog synced',
        done: catalog.products > 0 && sync?.status !== 'failed',
        detail: `${catalog.products} products, ${catalog.variantsWithInventory} variants with stock. ${syncText}`,
        link: { href: '/app/catalog', label: 'Open the catalog' },
      },
      {
        key: 'tracking',
        title: 'Storefront tracking seen',
        done: Boolean(lastSeen.viewedProduct || lastSeen.startedCheckout),
        detail: `${store.platform === 'shopify' ? pixelText(pixel, locale) : ''}Last Viewed Product: ${lastSeen.viewedProduct ? formatWhen(lastSeen.viewedProduct, locale) : 'never'}. Last Started Checkout: ${lastSeen.startedCheckout ? formatWhen(lastSeen.startedCheckout, locale) : 'never'}.`,
      },
      {
        key: 'sender',
        title: 'Sender email and SMS configured',
        done: channels.length > 0,
        detail: channels.length > 0 ? `Messages go out as ${channels.join(' and ')}.` : 'No SMTP server or SMS provider is set, so messages stay in the built-in outbox (set SMTP_URL and SMS_PROVIDER_URL).',
        link: { href: '/app/messages', label: 'Open the outbox' },
      },
      ...[lowInventoryItem(store)].filter((i): i is ChecklistItem => i !== null),
      {
        key: 'flow',
        title: 'First flow live',
        done: live.length > 0,
        detail: live.length > 0 ? `${live.length} of ${flows.length} flows are live.` : flows.length > 0 ? `${flows.length} flows, none live yet.` : 'No flows yet: start from a preset.',
        link: { href: '/app/flows', label: 'Go to flows' },
      },
    ],
  };
}
