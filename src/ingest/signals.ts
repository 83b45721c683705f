// What ingest announces after a commit. The durable record is inventory_observations; these
// in-process listeners let a consumer (the low-inventory trigger) react without polling.
import type { InventoryChange } from '../model/catalog.ts';

export type InventoryListener = (changes: InventoryChange[]) => void | Promise<void>;

export type IngestSignals = {
  onInventoryChanged(listener: InventoryListener): () => void;
  inventoryChanged(changes: InventoryChange[]): Promise<void>;
};

export function createSignals(onListenerError: (err: unknown) => void = () => {}): IngestSignals {
  const listeners = new Set<InventoryListener>();
  return {
    onInventoryChanged(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async inventoryChanged(changes) {
      if (changes.length === 0) return;
      // The write has committed; a failing listener must not turn it into an error for the caller.
      for (const listener of listeners) {
        try {
          await listener(changes);
        } catch (err) {
          onListenerError(err);
        }
      }
    },
  };
}
