// Wix allows about 200 API calls a minute per app instance. A token bucket per instance keeps a
// catalog sync under that, and a 429 is waited out (Retry-After) rather than failing the page.
import { setTimeout as delay } from 'node:timers/promises';

export type Limiter = { take(): Promise<void> };

export type Clock = { now(): number; sleep(ms: number): Promise<void> };

export const systemClock: Clock = { now: () => Date.now(), sleep: (ms) => delay(ms) };

/** Up to `burst` calls at once, refilled at `perMinute`; callers wait their turn in order. */
export function tokenBucket(opts: { perMinute: number; burst: number; clock?: Clock }): Limiter {
  const clock = opts.clock ?? systemClock;
  const perMs = opts.perMinute / 60_000;
  let tokens = opts.burst;
  let last = clock.now();
  let queue: Promise<void> = Promise.resolve();
  const refill = () => {
    const now = clock.now();
    tokens = Math.min(opts.burst, tokens + (now - last) * perMs);
    last = now;
  };
  const takeOne = async () => {
    refill();
    while (tokens < 1) {
      await clock.sleep(Math.ceil((1 - tokens) / perMs));
      refill();
    }
    tokens -= 1;
  };
  return {
    take() {
      // Chained so concurrent callers are served one after another, never overdrawing.
      const turn = queue.then(takeOne);
      queue = turn.catch(() => {});
      return turn;
    },
  };
}

const MAX_429_RETRIES = 3;
const MAX_RETRY_AFTER_MS = 60_000;

function retryAfterMs(res: Response, attempt: number): number {
  const header = res.headers.get('retry-after');
  const seconds = header !== null && header.trim() !== '' ? Number(header) : Number.NaN;
  const ms = Number.isFinite(seconds) ? seconds * 1000 : 1000 * 2 ** attempt;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms));
}

/** A fetch that takes a token before every call and retries a 429 a few times. */
export function throttledFetch(limiter: Limiter, base: typeof fetch, clock: Clock = systemClock): typeof fetch {
  return async (input, init) => {
    for (let attempt = 0; ; attempt++) {
      await limiter.take();
      const res = await base(input, init);
      if (res.status !== 429 || attempt >= MAX_429_RETRIES) return res;
      await res.body?.cancel();
      await clock.sleep(retryAfterMs(res, attempt));
    }
  };
}
