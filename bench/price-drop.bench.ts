// A price drop over 1,000,000 events with a 100,000-shopper audience: every shopper saw the item
// at 25 and it falls to 20. Timed from the price update to all 100,000 flow entries existing,
// beside a raw INSERT … SELECT of the same rows into the same table (the write floor). The issue
// asks it to stay within the low-inventory fan-out's ratio, so that fan-out is measured in the
// same run as this row's target, just before it.
import type { Benchmark } from './types.ts';
import { hotItem, runFanOut } from './support/fan-out.ts';
import { lowInventoryFanOut } from './low-inventory.bench.ts';

const two = (n: number) => Math.round(n * 100) / 100;

export const priceDropBench: Benchmark = {
  id: 'price-drop',
  async run() {
    // Both fan-outs in the same run, one after the other: the price drop is held to the ratio
    // the low-inventory fall reaches on this machine now.
    const lowResult = await runFanOut(lowInventoryFanOut);
    const dropResult = await runFanOut({
        name: 'price drop → 100k entries',
        database: 'pricedrop',
        platform: 'bigcommerce',
        before: hotItem(25, 50),
        after: hotItem(20, 50),
        live: { preset: 'price-drop', status: 'live', trigger: { level: 'product', minPercent: 10, metrics: ['Viewed Product'], lookbackDays: 30, excludePurchasedWithinDays: 30 } },
        draft: { preset: 'price-drop', status: 'draft' },
        policy: () => ({ lowInventory: [] }),
        valueTarget: 3_000,
      });
      return {
        ...dropResult,
        target: two(lowResult.ratio),
        details: {
          ...dropResult.details,
          lowInventoryMs: lowResult.value,
          lowInventoryRawMs: lowResult.limit.value,
          lowInventoryRatio: two(lowResult.ratio),
          priceDropRatio: two(dropResult.ratio),
        },
      };
  },
};
