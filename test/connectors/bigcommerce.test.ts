// The BigCommerce connector through the shared contract: every scope we subscribe to, signed as
// BigCommerce signs it, normalised against a stub of the REST APIs the thin payloads point at.
import { createBigCommerceConnector } from '../../connectors/bigcommerce/bigcommerce-connector.ts';
import type { SignedDelivery } from './contract.ts';
import { runConnectorContract } from './contract.ts';
import { startBigCommerceStub } from '../fixtures/bigcommerce/stub-api.ts';
import {
  ACCESS_TOKEN,
  CLIENT_ID,
  CLIENT_SECRET,
  STORE_HASH,
  cart,
  customer,
  envelope,
  order,
  productTrackedProduct,
  signedRequest,
  variantTrackedProduct,
} from '../fixtures/bigcommerce/payloads.ts';

const stub = await startBigCommerceStub({ storeHash: STORE_HASH, token: ACCESS_TOKEN });
stub.state.products.set(112, variantTrackedProduct());
stub.state.products.set(113, productTrackedProduct());
const theCart = cart();
stub.state.carts.set(theCart.id, theCart);
stub.state.orders.set(5001, order());
// Status ids from GET /v2/order_statuses: 2 Shipped, 5 Cancelled, 14 Partially Refunded; the
// refund as GET /v3/orders/{id}/payment_actions/refunds documents it.
stub.state.orders.set(5002, order(5002, 2));
stub.state.orders.set(5003, order(5003, 5));
stub.state.orders.set(5004, { ...order(5004, 14), refunds: [{ id: 31, order_id: 5004, user_id: 0, created: '2026-11-22T10:00:00+00:00', reason: 'damaged', total_amount: 25, total_tax: 0, uses_merchant_override_values: false, payments: [], items: [] }] });
stub.state.customers.set(77, customer());

function delivery(name: string, scope: string, data: Record<string, unknown>, kinds: SignedDelivery['kinds']): SignedDelivery {
  const body = envelope(scope, data);
  return { name, topic: scope, kinds, request: () => signedRequest(body) };
}

const inventory = (method: 'absolute' | 'relative', value: number, variantId?: number) => ({
  product_id: variantId ? 112 : 113,
  ...(variantId ? { variant_id: variantId } : {}),
  method,
  value,
});

runConnectorContract({
  platform: 'bigcommerce',
  connector: () =>
    createBigCommerceConnector({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, appUrl: 'https://storeflow.example.com', apiBaseUrl: stub.url, retryBaseMs: 1 }),
  store: { domain: 'linen-and-co.example.com', externalId: STORE_HASH, accessToken: ACCESS_TOKEN },
  setup: async () => () => stub.close(),
  deliveries: [
    delivery('product created', 'store/product/created', { type: 'product', id: 112 }, ['catalog']),
    delivery('product updated', 'store/product/updated', { type: 'product', id: 113, properties: ['inventory_level'], context: { channel_id: 1, locale: 'en' } }, ['catalog']),
    delivery('product deleted', 'store/product/deleted', { type: 'product', id: 999 }, ['product-deleted']),
    delivery('product inventory (absolute)', 'store/product/inventory/updated', { type: 'product', id: 113, inventory: inventory('absolute', 9) }, ['catalog']),
    delivery('product inventory by order (relative)', 'store/product/inventory/order/updated', { type: 'product', id: 113, inventory: inventory('relative', -1) }, ['catalog']),
    delivery('sku inventory', 'store/sku/inventory/updated', { type: 'sku', id: 201, inventory: inventory('absolute', 3, 201) }, ['catalog']),
    delivery('sku inventory by order', 'store/sku/inventory/order/updated', { type: 'sku', id: 202, inventory: inventory('relative', -2, 202) }, ['catalog']),
    delivery('cart created', 'store/cart/created', { type: 'cart', id: theCart.id }, ['events']),
    delivery('cart updated', 'store/cart/updated', { type: 'cart', id: theCart.id }, ['events']),
    delivery('order created', 'store/order/created', { type: 'order', id: 5001 }, ['events']),
    // store/order/statusUpdated as BigCommerce's webhook events reference shows it.
    delivery('order shipped', 'store/order/statusUpdated', { type: 'order', id: 5002, status: { previous_status_id: 11, new_status_id: 2 } }, ['events']),
    delivery('order cancelled', 'store/order/statusUpdated', { type: 'order', id: 5003, status: { previous_status_id: 11, new_status_id: 5 } }, ['events']),
    delivery('order partially refunded', 'store/order/statusUpdated', { type: 'order', id: 5004, status: { previous_status_id: 2, new_status_id: 14 } }, ['events']),
    delivery('customer created', 'store/customer/created', { type: 'customer', id: 77 }, ['profiles']),
    delivery('customer updated', 'store/customer/updated', { type: 'customer', id: 77 }, ['profiles']),
    delivery('app uninstalled', 'store/app/uninstalled', { type: 'store', id: '1001234567' }, ['uninstalled']),
  ],
});
