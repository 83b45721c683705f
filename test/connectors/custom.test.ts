import { customConnector } from '../../connectors/custom/custom-connector.ts';
import { runConnectorContract } from './contract.ts';

runConnectorContract({
  platform: 'custom',
  connector: () => customConnector,
  store: { domain: 'custom-contract.example.com' },
  deliveries: [],
  payloads: [
    {
      name: 'catalog items',
      topic: 'catalog/items',
      payload: [
        {
          externalId: 'sku-1',
          title: 'Linen Shirt',
          url: 'https://shop.example.com/p/sku-1',
          price: '59.00',
          inventoryTracking: 'variant',
          variants: [{ externalId: 'sku-1-m', title: 'M', inventoryQuantity: 4 }],
        },
      ],
      kinds: ['catalog'],
    },
    {
      name: 'events with items',
      topic: 'events',
      payload: [
        {
          metric: 'Started Checkout',
          profile: { email: 'ada@example.com' },
          properties: { Items: [{ ProductID: 'sku-1', VariantID: 'sku-1-m', Quantity: 1, ItemPrice: 59 }] },
          time: '2026-11-20T10:00:00Z',
          uniqueId: 'chk-1',
        },
      ],
      kinds: ['events'],
    },
  ],
});
