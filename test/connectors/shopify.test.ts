// The Shopify connector against the shared connector contract, with signed, real-shaped
// payloads for every topic it handles.
import { createShopifyConnector } from '../../connectors/shopify/shopify-connector.ts';
import type { Normalised } from '../../connectors/connector.ts';
import { runConnectorContract, type SignedDelivery } from './contract.ts';
import { ENV, SHOP, fixture, productNode, realFixture, signedDelivery, startAdminStub } from '../fixtures/shopify/kit.ts';

const delivery = (topic: string, file: string, kinds: Array<Normalised['kind']>, opts: { unprefixed?: boolean } = {}): SignedDelivery => ({
  name: `${topic}${opts.unprefixed ? ' (un-prefixed headers)' : ''}`,
  topic,
  kinds,
  request: () => signedDelivery(topic, fixture(file), opts),
});

runConnectorContract({
  platform: 'shopify',
  env: ENV,
  connector: (rt) => createShopifyConnector(rt.config)!,
  store: { domain: SHOP, accessToken: 'shpat_contract' },
  deliveries: [
    delivery('products/create', 'products-update', ['catalog']),
    delivery('products/update', 'products-update', ['catalog'], { unprefixed: true }),
    delivery('checkouts/create', 'checkouts-create', ['events']),
    delivery('checkouts/update', 'checkouts-create', ['events']),
    delivery('orders/create', 'orders-create', ['events']),
    // The order payload of Shopify's webhook reference (orders/create sample) with the fields
    // each topic adds: fulfillments[] for orders/fulfilled, cancelled_at and refunds[] for
    // orders/cancelled, refunds[].transactions[] for orders/updated after a partial refund.
    delivery('orders/fulfilled', 'orders-fulfilled', ['events']),
    delivery('orders/cancelled', 'orders-cancelled', ['events']),
    delivery('orders/updated', 'orders-updated-refund', ['events']),
    delivery('customers/create', 'customers-create', ['profiles']),
    delivery('customers/update', 'customers-create', ['profiles']),
    delivery('products/delete', 'products-delete', ['product-deleted']),
    delivery('customers/data_request', 'customers-data-request', ['export-personal-data']),
    delivery('customers/redact', 'customers-redact', ['erase-personal-data']),
    delivery('shop/redact', 'shop-redact', ['erase-personal-data']),
    delivery('app/uninstalled', 'app-uninstalled', ['uninstalled']),
  ],
});

// inventory_levels/update reads the product back from the Admin API, so it runs against the stub.
runConnectorContract({
  platform: 'shopify',
  env: ENV,
  connector: (rt) => createShopifyConnector(rt.config)!,
  store: { domain: SHOP, accessToken: 'shpat_contract' },
  deliveries: [delivery('inventory_levels/update', 'inventory-levels-update', ['catalog'])],
  setup: async () => {
    const stub = await startAdminStub();
    stub.graphql.set('StoreflowInventoryItems', (body) => ({
      nodes: (body.variables?.ids as string[]).map((id) => ({
        id,
        variant: { product: productNode('8123456789012', [{ id: '44123456789001', qty: 75 }, { id: '44123456789002', qty: 3 }]) },
      })),
    }));
    return () => stub.close();
  },
});

// Shopify's documented payloads for every subscribed topic (test/fixtures/shopify/real), signed
// as the raw text so their 64-bit ids stay exact. products/create names variants never read, so
// the product is read back: this list runs against the Admin API stub too. app/uninstalled last,
// so the others are acknowledged before the shop goes.
const REAL_TOPICS: Array<[string, Array<Normalised['kind']>]> = [
  ['products/create', ['catalog']],
  ['products/update', ['catalog']],
  ['inventory_levels/update', ['catalog']],
  ['checkouts/create', ['events']],
  ['checkouts/update', ['events']],
  ['orders/create', ['events']],
  ['customers/create', ['profiles']],
  ['customers/update', ['profiles']],
  ['products/delete', ['product-deleted']],
  ['customers/data_request', ['export-personal-data']],
  ['customers/redact', ['erase-personal-data']],
  ['shop/redact', ['erase-personal-data']],
  ['app/uninstalled', ['uninstalled']],
];

runConnectorContract({
  platform: 'shopify',
  env: ENV,
  connector: (rt) => createShopifyConnector(rt.config)!,
  store: { domain: SHOP, accessToken: 'shpat_contract_real' },
  deliveries: REAL_TOPICS.map(([topic, kinds]) => ({
    name: `${topic} (documented sample)`,
    topic,
    kinds,
    request: () => signedDelivery(topic, realFixture(topic)),
  })),
  setup: async () => {
    const stub = await startAdminStub();
    const node = productNode('788032119674292922', [
      { id: '642667041472713922', qty: 75, tracked: true },
      { id: '757650484644203962', qty: 50, tracked: false },
    ]);
    stub.graphql.set('StoreflowInventoryItems', (body) => ({
      nodes: (body.variables?.ids as string[]).map((id) => (id.startsWith('gid://shopify/Product/') ? { id, ...node } : { id, variant: { product: node } })),
    }));
    return () => stub.close();
  },
});
