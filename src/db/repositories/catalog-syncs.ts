import type { StoreId } from '../../model/ids.ts';
import type { Queryable } from '../pool.ts';

export type CatalogSync = {
  storeId: StoreId;
  status: 'queued' | 'running' | 'done' | 'failed';
  cursor: string | null;
  pages: number;
  products: number;
  startedAt: Date | null;
  finishedAt: Date | null;
  lastError: string | null;
};

type Row = {
  store_id: string;
  status: CatalogSync['status'];
  cursor: string | null;
  pages: number;
  products: number;
  started_at: Date | null;
  finished_at: Date | null;
  last_error: string | null;
};

const toSync = (r: Row): CatalogSync => ({
  storeId: r.store_id as StoreId,
  status: r.status,
  cursor: r.cursor,
  pages: r.pages,
  products: r.products,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  lastError: r.last_error,
});

/** Queues a full sync from the start unless one is already queued or running. */
export async function requestSync(db: Queryable, storeId: StoreId): Promise<void> {
  await db.query(
    `INSERT INTO catalog_syncs (store_id, status) VALUES ($1, 'queued')
     ON CONFLICT (store_id) DO UPDATE SET status = 'queued', cursor = NULL, pages = 0, products = 0, last_error = NULL, updated_at = now()
     WHERE catalog_syncs.status IN ('done', 'failed')`,
    [storeId],
  );
}

/**
 * Claims one sync to work on: a queued one, or a running one whose worker stopped beating
 * (crashed). It resumes from the stored cursor.
 */
export async function claimSync(db: Queryable, staleAfterMs: number): Promise<CatalogSync | undefined> {
  const { rows } = await db.query<Row>(
    `UPDATE catalog_syncs s SET status = 'running', started_at = COALESCE(s.started_at, now()), heartbeat_at = now(), updated_at = now()
     FROM (SELECT store_id FROM catalog_syncs
           WHERE status = 'queued' OR (status = 'running' AND heartbeat_at < now() - make_interval(secs => $1::double precision / 1000))
           ORDER BY updated_at LIMIT 1 FOR UPDATE SKIP LOCKED) c
     WHERE s.store_id = c.store_id
     RETURNING s.*`,
    [staleAfterMs],
  );
  return rows[0] && toSync(rows[0]);
}

/** Records a stored page: the cursor to resume from and the running counts. */
export async function recordPage(db: Queryable, storeId: StoreId, cursor: string | null, products: number): Promise<void> {
  await db.query(
    `UPDATE catalog_syncs SET cursor = $2, pages = pages + 1, products = products + $3, heartbeat_at = now(), updated_at = now()
     WHERE store_id = $1`,
    [storeId, cursor, products],
  );
}

export async function finishSync(db: Queryable, storeId: StoreId, error: string | null): Promise<void> {
  await db.query(
    `UPDATE catalog_syncs SET status = $2, finished_at = now(), last_error = $3, updated_at = now() WHERE store_id = $1`,
    [storeId, error ? 'failed' : 'done', error?.slice(0, 2000) ?? null],
  );
}

export async function findSync(db: Queryable, storeId: StoreId): Promise<CatalogSync | undefined> {
  const { rows } = await db.query<Row>('SELECT * FROM catalog_syncs WHERE store_id = $1', [storeId]);
  return rows[0] && toSync(rows[0]);
}
