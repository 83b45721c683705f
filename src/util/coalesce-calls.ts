// Coalesced calls (group commit for writes, batched lookups for reads): callers that arrive
// while a call is in flight share the next one. An idle caller goes at once (no timer, so no
// added latency); under load each call carries everyone who queued meanwhile, so round trips
// per item fall as the load rises.

type Waiter<T, R> = { item: T; resolve: (r: R) => void; reject: (e: unknown) => void };

export type Coalesced<T, R> = {
  submit(item: T): Promise<R>;
  /** Nothing queued and nothing in flight. */
  idle(): boolean;
};

/**
 * `run` gets a batch and answers one result per item, in order. A batch that throws is retried
 * item by item, so one bad item fails alone and an outage fails each caller with its error.
 */
export function coalesceCalls<T, R>(run: (items: T[]) => Promise<R[]>, opts: { maxBatch: number; maxInFlight: number }): Coalesced<T, R> {
  let queue: Array<Waiter<T, R>> = [];
  let inFlight = 0;

  const settle = async (batch: Array<Waiter<T, R>>): Promise<void> => {
    try {
      const results = await run(batch.map((w) => w.item));
      if (results.length !== batch.length) throw new Error(`coalesced call: ${results.length} results for ${batch.length} items`);
      batch.forEach((w, i) => w.resolve(results[i]!));
    } catch (err) {
      if (batch.length === 1) return batch[0]!.reject(err);
      await Promise.all(batch.map((w) => settle([w])));
    }
  };

  const pump = (): void => {
    while (inFlight < opts.maxInFlight && queue.length > 0) {
      const batch = queue.slice(0, opts.maxBatch);
      queue = queue.slice(batch.length);
      inFlight++;
      void settle(batch).finally(() => {
        inFlight--;
        pump();
      });
    }
  };

  return {
    idle: () => inFlight === 0 && queue.length === 0,
    submit(item) {
      return new Promise<R>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        pump();
      });
    },
  };
}
