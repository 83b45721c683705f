// A price drop over 1,000,000 events with a 100,000-shopper audience: every shopper saw the item
// at 25 and it falls to 20. Timed from the price update to all 100,000 flow entries existing,
// beside a raw INSERT … SELECT of the same rows into the same table (the write floor). The issue
// asks it to stay within the low-inventory fan-out's ratio, so that fan-out is measured in the
// same run as this row's target: both stores are seeded first, then the two are timed back to
// back (low inventory, its raw insert, the price drop, its raw insert), so the machine's load
// drifts as little as possible between them.
import type { Benchmark } from './types.ts';
import { hotItem, prepareFanOut, type PreparedFanOut } from './support/fan-out.ts';
import { lowInventoryFanOut } from './low-inventory.bench.ts';

const two = (n: number) => Math.round(n * 100) / 100;

export const priceDropBench: Benchmark = {
  id: 'price-drop',
  async run() {
    const prepared: PreparedFanOut[] = [];
    try {
      const low = await prepareFanOut(lowInventoryFanOut);
      prepared.push(low);
      const drop = await prepareFanOut({
        name: 'price drop → 100k entries',
        database: 'pricedrop',
        platform: 'bigcommerce',
        before: hotItem(25, 50),
        after: hotItem(20, 50),
        live: { preset: 'price-drop', status: 'live', trigger: { level: 'product', minPercent: 10, metrics: ['Viewed Product'], lookbackDays: 30, excludePurchasedWithinDays: 30 } },
        draft: { preset: 'price-drop', status: 'draft' },
        policy: () => ({ lowInventory: [] }),
      });
      prepared.push(drop);
      const lowResult = await low.measure();
      const dropResult = await drop.measure();
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
    } finally {
      for (const p of prepared) await p.close();
    }
  },
};
