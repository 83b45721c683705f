// The Wix connector: JWT webhooks verified with the app's public key, Wix Stores catalog (V1 or
// V3) read through the SDK, eCom checkouts and orders and CRM contacts mapped to the common model.
import { hostOf, type Connector, type Normalised, type NormaliseContext } from '../connector.ts';
import { z } from 'zod';
import { Metrics } from '../../src/model/event.ts';
import type { ExternalProductId } from '../../src/model/ids.ts';
import { fetchCatalogPages, fetchProduct } from './fetch-catalog.ts';
import { WixEvents as E } from './event-types.ts';
import { checkoutEvent, contactProfile, orderChangeEvents, orderEvents } from './normalise-orders.ts';
import { createWixVerifier } from './verify-webhook.ts';
import { createWixApi, wixStatus, type WixApi, type WixApiOptions, type WixAppConfig } from './api-client.ts';
import { Checkout, Contact, DomainEvent, eventEntity, Order, V1InventoryRef, V1ProductRef, V3InventoryItemRef } from './payload-schemas.ts';

const WIX = Symbol('wix-connector');

export type WixConnector = Connector & { readonly [WIX]: true; readonly api: WixApi };

export function isWixConnector(c: Connector | undefined): c is WixConnector {
  return Boolean(c && (c as Partial<WixConnector>)[WIX]);
}

const PRODUCT_REFETCH = new Set<string>([E.v1ProductCreated, E.v1ProductChanged, E.v1VariantsChanged]);
/** What Get App Instance says of the site; only its URL is read. */
const AppInstance = z.looseObject({ site: z.looseObject({ url: z.string().nullish() }).nullish() });

const V1_INVENTORY = new Set<string>([E.v1InventoryVariantsChanged, E.v1InventoryItemChanged]);
const V3_PRODUCT = new Set<string>([E.v3ProductCreated, E.v3ProductUpdated]);
const V3_INVENTORY = new Set<string>([E.v3InventoryItemCreated, E.v3InventoryItemUpdated, E.v3InventoryItemDeleted]);

/** The order an order event carries: the entity itself, or `{order}` in an action event's body. */
function orderOf(payload: unknown): Order {
  const entity = eventEntity(DomainEvent.parse(payload)) as { order?: unknown } | undefined;
  return Order.parse(entity && typeof entity === 'object' && 'order' in entity ? entity.order : entity);
}

function instanceOf(ctx: NormaliseContext): string {
  return ctx.store.externalId ?? ctx.store.domain;
}

async function productState(api: WixApi, instanceId: string, productId: string, catalog: 'V1' | 'V3'): Promise<Normalised[]> {
  const product = await fetchProduct(api, instanceId, productId, catalog);
  // Gone by the time we looked: its own delete event removes it; re-creating it here would not.
  return product ? [{ kind: 'catalog', products: [product] }] : [{ kind: 'ignored', reason: `product ${productId} no longer exists` }];
}

/** The checkout page link for the abandoned-checkout message; a checkout Wix no longer offers has none. */
async function checkoutUrl(api: WixApi, instanceId: string, checkoutId: string): Promise<string | null> {
  try {
    const res = await api.client(instanceId).checkout.getCheckoutUrl(checkoutId);
    return typeof res.checkoutUrl === 'string' && URL.canParse(res.checkoutUrl) ? res.checkoutUrl : null;
  } catch (err) {
    const status = wixStatus(err);
    if (status !== undefined && status >= 400 && status < 500 && status !== 429) return null;
    throw err;
  }
}

export function createWixConnector(app: WixAppConfig, opts: WixApiOptions = {}): WixConnector {
  const api = createWixApi(app, opts);
  const verify = createWixVerifier(app);

  async function normalise(topic: string, payload: unknown, ctx: NormaliseContext): Promise<Normalised[]> {
    const instanceId = instanceOf(ctx);
    const now = ctx.triggeredAt ?? new Date();
    if (PRODUCT_REFETCH.has(topic)) return productState(api, instanceId, V1ProductRef.parse(payload).productId, 'V1');
    if (V1_INVENTORY.has(topic)) {
      const ref = V1InventoryRef.parse(payload);
      return productState(api, instanceId, (ref.productId ?? ref.externalId)!, 'V1');
    }
    if (topic === E.v1ProductDeleted) return [{ kind: 'product-deleted', externalIds: [V1ProductRef.parse(payload).productId as ExternalProductId] }];
    if (V3_PRODUCT.has(topic)) {
      const event = DomainEvent.parse(payload);
      const id = event.entityId ?? (eventEntity(event) as { id?: string } | undefined)?.id;
      if (!id) return [{ kind: 'ignored', reason: `${topic} names no product` }];
      return productState(api, instanceId, id, 'V3');
    }
    if (topic === E.v3ProductDeleted) {
      const event = DomainEvent.parse(payload);
      if (!event.entityId) return [{ kind: 'ignored', reason: `${topic} names no product` }];
      return [{ kind: 'product-deleted', externalIds: [event.entityId as ExternalProductId] }];
    }
    if (V3_INVENTORY.has(topic)) {
      const item = V3InventoryItemRef.safeParse(eventEntity(DomainEvent.parse(payload)));
      if (!item.success) return [{ kind: 'ignored', reason: `${topic} names no product` }];
      return productState(api, instanceId, item.data.productId, 'V3');
    }
    if (topic === E.checkoutCreated || topic === E.checkoutUpdated) {
      const checkout = Checkout.parse(eventEntity(DomainEvent.parse(payload)));
      const blank = checkoutEvent(checkout, null, now);
      if (!blank) return [{ kind: 'ignored', reason: `checkout ${checkout.id} has no buyer yet` }];
      const event = checkoutEvent(checkout, await checkoutUrl(api, instanceId, checkout.id), now)!;
      return [{ kind: 'events', events: [event] }];
    }
    if (topic === E.orderCreated || topic === E.orderApproved) {
      const order = orderOf(payload);
      // Orders awaiting payment are created before they are approved; Placed Order waits for approval.
      if (topic === E.orderCreated && order.status !== 'APPROVED') return [{ kind: 'ignored', reason: `order ${order.id} is ${order.status ?? 'not approved'}` }];
      const events = orderEvents(order, now);
      return events.length ? [{ kind: 'events', events }] : [{ kind: 'ignored', reason: `order ${order.id} names no buyer` }];
    }
    if (topic === E.orderUpdated || topic === E.orderCanceled) {
      const order = orderOf(payload);
      // A change happened when Wix says the event did, so a redelivery records the same time.
      const eventTime = DomainEvent.parse(payload).eventTime;
      const at = eventTime && !Number.isNaN(Date.parse(eventTime)) ? new Date(eventTime) : now;
      const events = orderChangeEvents(topic === E.orderCanceled ? { ...order, status: 'CANCELED' } : order, at);
      return events.length ? [{ kind: 'events', events }] : [{ kind: 'ignored', reason: `order ${order.id} is not fulfilled, cancelled or refunded, or names no buyer` }];
    }
    if (topic === E.contactCreated || topic === E.contactUpdated) {
      return [{ kind: 'profiles', profiles: [contactProfile(Contact.parse(eventEntity(DomainEvent.parse(payload))))] }];
    }
    if (topic === E.appRemoved) {
      api.forget(instanceId);
      return [{ kind: 'uninstalled' }];
    }
    if (topic === E.appInstalled) return [{ kind: 'ignored', reason: 'installs are handled when the webhook arrives' }];
    return [{ kind: 'ignored', reason: `unhandled Wix event ${topic}` }];
  }

  return {
    [WIX]: true,
    api,
    platform: 'wix',
    capabilities: {
      // Wix help: low inventory at product level, triggered by Started Checkout only.
      lowInventory: [{ level: 'product', metrics: [Metrics.startedCheckout] }],
      pullsCatalog: true,
    },
    verifyWebhook: verify,
    normalise,
    fetchCatalog({ store, cursor }) {
      return fetchCatalogPages(api, store.externalId ?? store.domain, cursor);
    },
    async storefrontHosts({ store }) {
      // Get App Instance (GET /apps/v1/instance) names the site's URL: its custom domain, or the
      // wixsite.com address. The stored domain of a Wix store is its instance id, not a host.
      const res = await api.client(store.externalId ?? store.domain).fetchWithAuth('https://www.wixapis.com/apps/v1/instance');
      if (!res.ok) throw new Error(`Get App Instance answered ${res.status}`);
      const host = hostOf(AppInstance.parse(await res.json()).site?.url);
      return host ? [host] : [];
    },
  };
}
