// Group commit: callers that arrive while a write is in flight share the next one. An idle
// caller is written at once (no timer, so no added latency); under load each statement carries
// everyone who queued meanwhile, so round trips per item fall as the load rises.

type Waiter<T, R> = { item: T; resolve: (r: R) => void; reject: (e: unknown) => void };

export type GroupCommit<T, R> = { submit(item: T): Promise<R> };

/**
 * `write` gets a batch and answers one result per item, in order. A batch that throws is retried
 * item by item, so one bad item fails alone and a database outage fails each caller with its error.
 */
export function groupCommit<T, R>(write: (items: T[]) => Promise<R[]>, opts: { maxBatch: number; maxInFlight: number }): GroupCommit<T, R> {
  let queue: Array<Waiter<T, R>> = [];
  let inFlight = 0;

  const settle = async (batch: Array<Waiter<T, R>>): Promise<void> => {
    try {
      const results = await write(batch.map((w) => w.item));
      if (results.length !== batch.length) throw new Error(`group commit: ${results.length} results for ${batch.length} items`);
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
    submit(item) {
      return new Promise<R>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        pump();
      });
    },
  };
}
