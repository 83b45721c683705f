// Which low-inventory triggers a store may use: its platform's capability row, or the custom
// catalog's once support has enabled it (DESIGN §5).
import type { Store } from '../src/model/store.ts';
import type { LowInventoryCapability } from './connector.ts';
import type { Connectors } from './registry.ts';
import { customConnector } from './custom/custom-connector.ts';

export type LowInventoryPolicy = { lowInventory: readonly LowInventoryCapability[]; blocked?: string };

export function lowInventoryPolicy(store: Store, connectors: Connectors): LowInventoryPolicy {
  if (store.platform === 'custom' || store.lowInventoryCatalog === 'custom') {
    if (!store.customLowInventoryEnabled) {
      return {
        lowInventory: [],
        blocked: 'the low-inventory trigger for a custom catalog is off until support checks the catalog and enables it',
      };
    }
    return { lowInventory: customConnector.capabilities.lowInventory };
  }
  return { lowInventory: connectors[store.platform]?.capabilities.lowInventory ?? [] };
}
