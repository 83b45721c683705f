// Thin BigCommerce payloads → the common model. A delivery names only what changed, so the
// object is read back through the REST APIs here, in the worker, with the store's token.
import type { Normalised, NormaliseContext } from '../connector.ts';
import type { ExternalProductId } from '../../src/model/ids.ts';
import { BigCommerceNotFound, type StoreApi } from './api-client.ts';
import { cartToEvents, customerToProfile, OrderStatus, orderStatusEvents, orderToEvents } from './normalise-orders.ts';
import { toProductInput } from './normalise-catalog.ts';
import { productsWithLevels } from './inventory-levels.ts';
import {
  ApiOrder,
  ApiOrderProduct,
  ApiRefunds,
  CartData,
  CartResponse,
  CustomersResponse,
  InventoryData,
  EntityData,
  StockChangedData,
  ProductResponse,
  WebhookEnvelope,
  hashOfContext,
} from './payload-schemas.ts';

/** Order status 0: a checkout that never completed; BigCommerce still fires order/created for it. */
const INCOMPLETE_ORDER = 0;

export const PRODUCT_SCOPES = ['store/product/created', 'store/product/updated'] as const;
export const INVENTORY_SCOPES = [
  'store/product/inventory/updated',
  'store/product/inventory/order/updated',
  'store/sku/inventory/updated',
  'store/sku/inventory/order/updated',
] as const;
/** Stock changed at one location, on any channel (BigCommerce's Inventory and Location webhooks). */
export const STOCK_CHANGED_SCOPE = 'store/channel/*/inventory/product/stock_changed';

/** Every scope we register a hook for; anything else that arrives is acknowledged and ignored. */
export const HOOK_SCOPES = [
  ...PRODUCT_SCOPES,
  'store/product/deleted',
  ...INVENTORY_SCOPES,
  STOCK_CHANGED_SCOPE,
  'store/cart/created',
  'store/cart/updated',
  'store/order/created',
  'store/order/statusUpdated',
  'store/customer/created',
  'store/customer/updated',
  'store/app/uninstalled',
] as const;

const has = (list: readonly string[], topic: string): boolean => list.includes(topic);

export async function readProduct(api: StoreApi, productId: number, domain: string): Promise<Normalised> {
  try {
    const body = ProductResponse.parse(await api.call({ method: 'GET', path: `/v3/catalog/products/${productId}`, params: { include: 'variants,images' } }));
    return { kind: 'catalog', products: await productsWithLevels(api, [toProductInput(body.data, domain, new Date())]) };
  } catch (err) {
    // Deleted between the event and our read: the product is gone, not worth a retry loop.
    if (err instanceof BigCommerceNotFound) return { kind: 'product-deleted', externalIds: [String(productId) as ExternalProductId] };
    throw err;
  }
}

const REFUNDED = new Set<number>([OrderStatus.refunded, OrderStatus.partiallyRefunded]);

/**
 * Reads the order back. A new order is a Placed Order; a status change also says what happened
 * since (fulfilled, cancelled, refunded), and repeats the Placed Order, which is a duplicate
 * unless its order/created delivery was lost.
 */
async function readOrder(api: StoreApi, orderId: number, statusChanged: boolean): Promise<Normalised[]> {
  let order: ApiOrder;
  try {
    order = ApiOrder.parse(await api.call({ method: 'GET', path: `/v2/orders/${orderId}` }));
  } catch (err) {
    if (err instanceof BigCommerceNotFound) return [{ kind: 'ignored', reason: `order ${orderId} no longer exists` }];
    throw err;
  }
  if (order.status_id === INCOMPLETE_ORDER) return [{ kind: 'ignored', reason: `order ${orderId} is incomplete` }];
  const lines = ApiOrderProduct.array().parse((await api.call({ method: 'GET', path: `/v2/orders/${orderId}/products`, params: { limit: 250 } })) ?? []);
  const placed = orderToEvents(order, lines);
  if (!placed) return [{ kind: 'ignored', reason: `order ${orderId} names no shopper` }];
  const refunds =
    statusChanged && REFUNDED.has(order.status_id)
      ? ApiRefunds.parse(await api.call({ method: 'GET', path: `/v3/orders/${orderId}/payment_actions/refunds` })).data
      : [];
  const changes = statusChanged ? orderStatusEvents(order, lines, refunds) : [];
  return [{ kind: 'events', events: [...placed, ...changes] }];
}

async function readCart(api: StoreApi, cartId: string, time: Date): Promise<Normalised[]> {
  try {
    const cart = CartResponse.parse(await api.call({ method: 'GET', path: `/v3/carts/${encodeURIComponent(cartId)}` })).data;
    const events = cartToEvents(cart, time);
    if (!events) return [{ kind: 'ignored', reason: 'guest cart without an email yet' }];
    return events.length ? [{ kind: 'events', events }] : [{ kind: 'ignored', reason: 'empty cart' }];
  } catch (err) {
    // Carts disappear once converted or expired; nothing is left to record.
    if (err instanceof BigCommerceNotFound) return [{ kind: 'ignored', reason: 'cart no longer exists' }];
    throw err;
  }
}

async function readCustomer(api: StoreApi, customerId: number): Promise<Normalised[]> {
  const body = CustomersResponse.parse(await api.call({ method: 'GET', path: '/v3/customers', params: { 'id:in': customerId } }));
  const customer = body.data[0];
  return customer ? [{ kind: 'profiles', profiles: [customerToProfile(customer)] }] : [{ kind: 'ignored', reason: `customer ${customerId} no longer exists` }];
}

export async function normaliseBigCommerce(
  apiFor: (storeHash: string, token: string) => StoreApi,
  topic: string,
  payload: unknown,
  ctx: NormaliseContext,
): Promise<Normalised[]> {
  const envelope = WebhookEnvelope.parse(payload);
  const data = envelope.data;
  if (topic === 'store/app/uninstalled') return [{ kind: 'uninstalled' }];
  if (topic === 'store/product/deleted') {
    return [{ kind: 'product-deleted', externalIds: [String(EntityData.parse(data).id) as ExternalProductId] }];
  }
  const known = has(HOOK_SCOPES, topic);
  if (!known) return [{ kind: 'ignored', reason: `unhandled scope ${topic}` }];
  if (!ctx.accessToken) return [{ kind: 'ignored', reason: 'the store has no access token (uninstalled)' }];
  const api = apiFor(hashOfContext(envelope.producer), ctx.accessToken);

  if (has(PRODUCT_SCOPES, topic)) return [await readProduct(api, EntityData.parse(data).id, ctx.store.domain)];
  if (has(INVENTORY_SCOPES, topic)) {
    // Relative deltas are never added to what we hold: a redelivered or reordered delta would
    // count twice. The absolute level is re-read instead, and ingest folds variant levels into
    // the product-level quantity.
    const inv = InventoryData.parse(data).inventory;
    return [await readProduct(api, inv.product_id, ctx.store.domain)];
  }
  if (topic === STOCK_CHANGED_SCOPE) return [await readProduct(api, StockChangedData.parse(data).product_id, ctx.store.domain)];
  if (topic === 'store/cart/created' || topic === 'store/cart/updated') {
    return readCart(api, CartData.parse(data).id, ctx.triggeredAt ?? (envelope.created_at ? new Date(envelope.created_at * 1000) : new Date()));
  }
  if (topic === 'store/order/created' || topic === 'store/order/statusUpdated') return readOrder(api, EntityData.parse(data).id, topic === 'store/order/statusUpdated');
  if (topic === 'store/customer/created' || topic === 'store/customer/updated') return readCustomer(api, EntityData.parse(data).id);
  return [{ kind: 'ignored', reason: `unhandled scope ${topic}` }];
}
