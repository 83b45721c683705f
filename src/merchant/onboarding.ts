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

export type ChecklistItem = { key: string; title: string; done: boolean; detail: string; link?: { href: string; label: string } };

export type Onboarding = {
  items: ChecklistItem[];
  catalog: CatalogReadiness;
  sync: CatalogSync | undefined;
  lastSeen: { viewedProduct: Date | null; startedCheckout: Date | null };
};

/** What the merchant should know about the Shopify web pixel, in front of the events seen. */
function pixelText(pixel: PixelState | undefined): string {
  if (!pixel) return 'Storefront tracking not activated yet: the web pixel is switched on shortly. ';
  if (pixel.status === 'active') return 'Storefront tracking activated (Shopify web pixel). ';
  const reason = (pixel.lastError ?? 'Shopify refused the web pixel').replace(/\.$/, '');
  const retry = pixel.nextAttemptAt ? ` It is tried again automatically at ${pixel.nextAttemptAt.toISOString()}.` : '';
  return `Storefront tracking not activated: ${reason}.${retry} `;
}

export async function onboarding(pool: pg.Pool, config: Pick<Config, 'smtpUrl' | 'sms'>, store: Store): Promise<Onboarding> {
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
    ? `Last sync ${sync.status}${sync.finishedAt ? ` at ${sync.finishedAt.toISOString()}` : ''}${sync.lastError ? `; error: ${sync.lastError}` : ''}.`
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
        detail: `${store.platform === 'shopify' ? pixelText(pixel) : ''}Last Viewed Product: ${lastSeen.viewedProduct?.toISOString() ?? 'never'}. Last Started Checkout: ${lastSeen.startedCheckout?.toISOString() ?? 'never'}.`,
      },
      {
        key: 'sender',
        title: 'Sender email and SMS configured',
        done: channels.length > 0,
        detail: channels.length > 0 ? `Messages go out as ${channels.join(' and ')}.` : 'No SMTP server or SMS provider is set, so messages stay in the built-in outbox (set SMTP_URL and SMS_PROVIDER_URL).',
        link: { href: '/app/messages', label: 'Open the outbox' },
      },
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
