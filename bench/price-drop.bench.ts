// A price drop over 1,000,000 events with a 100,000-shopper audience: every shopper saw the item
// at 25 and it falls to 20. Timed from the price update to all 100,000 flow entries existing,
// beside a raw INSERT … SELECT of the same rows into the same table (the write floor). The issue
// asks it to stay within the low-inventory fan-out's ratio, so that ratio is measured in the same
// run (reused when `npm run bench` has just measured it) and is this row's target.
import type { Benchmark } from './types.ts';
import { hotItem, runFanOut } from './support/fan-out.ts';
import { lowInventoryResult } from './low-inventory.bench.ts';

const two = (n: number) => Math.round(n * 100) / 100;

export const priceDropBench: Benchmark = {
  id: 'price-drop',
  async run() {
    const low = await lowInventoryResult();
    const drop = await runFanOut({
      name: 'price drop → 100k entries',
      database: 'pricedrop',
      platform: 'bigcommerce',
      before: hotItem(25, 50),
      after: hotItem(20, 50),
      live: { preset: 'price-drop', status: 'live', trigger: { level: 'product', minPercent: 10, metrics: ['Viewed Product'], lookbackDays: 30, excludePurchasedWithinDays: 30 } },
      draft: { preset: 'price-drop', status: 'draft' },
      policy: () => ({ lowInventory: [] }),
    });
    return {
      ...drop,
      target: two(low.ratio),
      details: {
        ...drop.details,
        lowInventoryMs: low.value,
        lowInventoryRawMs: low.limit.value,
        lowInventoryRatio: two(low.ratio),
        priceDropRatio: two(drop.ratio),
      },
    };
  },
};
