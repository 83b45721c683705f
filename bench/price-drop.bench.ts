// A price drop over 1,000,000 events with a 100,000-shopper audience: every shopper saw the item
// at 25 and it falls to 20. Timed from the price update to all 100,000 flow entries existing,
// beside a raw INSERT … SELECT of the same rows; it must stay within the low-inventory fan-out's
// ratio.
import type { Benchmark } from './types.ts';
import { hotItem, runFanOut } from './support/fan-out.ts';

export const priceDropBench: Benchmark = {
  id: 'price-drop',
  run: () =>
    runFanOut({
      name: 'price drop → 100k entries',
      database: 'pricedrop',
      platform: 'bigcommerce',
      before: hotItem(25, 50),
      after: hotItem(20, 50),
      live: { preset: 'price-drop', status: 'live', trigger: { level: 'product', minPercent: 10, metrics: ['Viewed Product'], lookbackDays: 30, excludePurchasedWithinDays: 30 } },
      draft: { preset: 'price-drop', status: 'draft' },
      policy: () => ({ lowInventory: [] }),
      valueTarget: 3_000,
    }),
};
