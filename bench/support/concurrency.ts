/**
 * Runs `task(0) … task(count - 1)` with at most `inFlight` running at once, like a fixed set of
 * clients each sending its next call as soon as the previous one answers.
 */
export async function runWithConcurrency(count: number, inFlight: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const client = async () => {
    while (next < count) {
      const index = next++;
      await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, client));
}

/** Wall time of `fn` in seconds. */
export async function timed(fn: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}
