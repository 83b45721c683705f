// An express-rate-limit store on Postgres: every web process counts against the same row, so a
// limit means what it says however many processes serve the traffic.
import type { Store } from 'express-rate-limit';
import type { Queryable } from '../db/pool.ts';
import { decrementHits, incrementHits, resetHits } from '../db/repositories/rate-limits.ts';

/** The database the counts live in: the pool, or a client of it. */
export type RateLimitDb = Queryable;

/** `prefix` keeps each limiter's keys apart in the one table. */
export function postgresRateLimitStore(db: Queryable, prefix: string, windowMs: number): Store {
  return {
    prefix,
    localKeys: false,
    increment: (key) => incrementHits(db, prefix + key, windowMs),
    decrement: (key) => decrementHits(db, prefix + key),
    resetKey: (key) => resetHits(db, prefix + key),
  };
}
