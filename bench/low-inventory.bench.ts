// An item with a 100,000-shopper audience (1,000,000 events in the store) falls below its
// threshold: time from the inventory update to all 100,000 flow entries existing, beside a raw
// INSERT … SELECT of the same rows into the same table in the same run.
import type { Benchmark } from './types.ts';
import { hotItem, runFanOut, type FanOut } from './support/fan-out.ts';
import { lowInventoryPolicy } from '../connectors/low-inventory-policy.ts';

export const lowInventoryFanOut: FanOut = {
  name: 'low-inventory fall → 100k entries',
  database: 'lowinv',
  platform: 'bigcommerce',
  before: hotItem(25, 10),
  after: hotItem(25, 3),
  live: { preset: 'low-inventory', status: 'live', trigger: { level: 'product', threshold: 5, metrics: ['Viewed Product'], lookbackDays: 30, excludePurchasedWithinDays: 30 } },
  draft: { preset: 'low-inventory', status: 'draft', trigger: { level: 'product', threshold: 5, metrics: ['Viewed Product'] } },
  policy: (store, rt) => lowInventoryPolicy(store, rt.connectors),
  valueTarget: 1_000,
};

export const lowInventoryBench: Benchmark = { id: 'low-inventory', run: () => runFanOut(lowInventoryFanOut) };
