// Every connector, built from config. Adding a platform is one line here plus its folder.
import type { Config } from '../src/config.ts';
import type { Platform } from '../src/model/store.ts';
import type { Connector } from './connector.ts';
import { customConnector } from './custom/custom-connector.ts';
import { bigcommerceConnector } from './bigcommerce/bigcommerce-connector.ts';
import { createShopifyConnector } from './shopify/shopify-connector.ts';
import { createWixConnector } from './wix/wix-connector.ts';

export type Connectors = Readonly<Partial<Record<Platform, Connector>>>;

export function createConnectors(config: Config): Connectors {
  return {
    custom: customConnector,
    bigcommerce: bigcommerceConnector(config),
    shopify: createShopifyConnector(config),
    wix: createWixConnector(config.wix),
  };
}
