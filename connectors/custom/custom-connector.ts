// The generic adapter for stores on any other platform: they push catalog and events to our
// API, authenticated by the store's private key, so there is no webhook to verify.
import type { Connector } from '../connector.ts';
import { Metrics } from '../../src/model/event.ts';
import { CatalogItem, EventItem } from './payload-schemas.ts';
import { toEventInput } from './normalise-events.ts';

const triggerMetrics = [Metrics.viewedProduct, Metrics.startedCheckout, Metrics.addedToCart];

export const customConnector: Connector = {
  platform: 'custom',
  capabilities: {
    // Custom catalogs may use either level with whichever events support has mapped.
    lowInventory: [
      { level: 'product', metrics: triggerMetrics },
      { level: 'variant', metrics: triggerMetrics },
    ],
    pullsCatalog: false,
  },
  verifyWebhook() {
    return { ok: false, reason: 'unsupported', detail: 'custom catalogs send data through /api/v1 with their private key' };
  },
  normalise(topic, payload, { mapping }) {
    switch (topic) {
      case 'catalog/items':
        return [{ kind: 'catalog', products: CatalogItem.array().parse(payload) }];
      case 'events': {
        const now = new Date();
        return [{ kind: 'events', events: EventItem.array().parse(payload).map((e) => toEventInput(e, mapping, now)) }];
      }
      default:
        return [{ kind: 'ignored', reason: `unknown topic ${topic}` }];
    }
  },
  async *fetchCatalog() {
    // Nothing to pull: the merchant's system pushes its catalog to PUT /api/v1/catalog/items.
  },
};
