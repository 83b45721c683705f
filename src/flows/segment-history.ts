// Member counts over time: a snapshot of every segment's count, taken after the scheduled
// evaluation (segments:evaluate) and when a segment is created from the merchant app.
import type pg from 'pg';
import type { StoreId } from '../model/ids.ts';
import { recordSegmentCounts } from '../db/repositories/segment-counts.ts';

export const snapshotSegmentCounts = (pool: pg.Pool, now: Date, scope: { storeId?: StoreId; segmentId?: string } = {}): Promise<number> =>
  recordSegmentCounts(pool, now, scope);
