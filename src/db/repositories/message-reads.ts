// Reads and tracking marks on sent messages: the messages API, open/click, report counts.
import type { MessageId, StoreId } from '../../model/ids.ts';
import type { Queryable } from '../pool.ts';
import { toMessage, type MessageRow, type StoredMessage, type StoredStatus } from './message-rows.ts';

/** First open only; later opens change nothing. */
export async function recordOpen(db: Queryable, storeId: StoreId, id: MessageId, now: Date): Promise<void> {
  await db.query(
    "UPDATE messages SET opened_at = $3 WHERE store_id = $1 AND id = $2 AND opened_at IS NULL AND status = 'sent'",
    [storeId, id, now],
  );
}

/** A click proves an open too (images are often blocked); both keep their first time. */
export async function recordClick(db: Queryable, storeId: StoreId, id: MessageId, now: Date): Promise<void> {
  await db.query(
    `UPDATE messages SET clicked_at = COALESCE(clicked_at, $3), opened_at = COALESCE(opened_at, $3)
     WHERE store_id = $1 AND id = $2 AND status = 'sent' AND clicked_at IS NULL`,
    [storeId, id, now],
  );
}

export type MessageQuery = { flowId?: string | undefined; status?: StoredStatus | undefined; beforeSeq?: number | undefined; limit: number };

/** Newest first. */
export async function listMessages(db: Queryable, storeId: StoreId, q: MessageQuery): Promise<StoredMessage[]> {
  const { rows } = await db.query<MessageRow>(
    `SELECT * FROM messages WHERE store_id = $1 AND ($2::uuid IS NULL OR flow_id = $2::uuid)
       AND ($3::text IS NULL OR status = $3) AND ($4::bigint IS NULL OR seq < $4)
     ORDER BY seq DESC LIMIT $5`,
    [storeId, q.flowId ?? null, q.status ?? null, q.beforeSeq ?? null, q.limit],
  );
  return rows.map(toMessage);
}

export type MessageStats = {
  queued: number;
  held: number;
  sent: number;
  failed: number;
  opened: number;
  clicked: number;
  skipped: Record<string, number>;
};

/** Counts for a flow's report, optionally for one A/B branch. */
export async function flowMessageStats(db: Queryable, storeId: StoreId, flowId: string, abBranch?: string): Promise<MessageStats> {
  const { rows } = await db.query<{ status: StoredStatus; reason: string | null; n: number; opened: number; clicked: number }>(
    `SELECT status, CASE WHEN status = 'skipped' THEN COALESCE(reason, 'unknown') END AS reason, count(*)::int AS n,
       count(opened_at)::int AS opened, count(clicked_at)::int AS clicked
     FROM messages WHERE store_id = $1 AND flow_id = $2::uuid AND ($3::text IS NULL OR ab_branch = $3)
     GROUP BY 1, 2`,
    [storeId, flowId, abBranch ?? null],
  );
  const stats: MessageStats = { queued: 0, held: 0, sent: 0, failed: 0, opened: 0, clicked: 0, skipped: {} };
  for (const r of rows) {
    if (r.status === 'skipped') stats.skipped[r.reason ?? 'unknown'] = r.n;
    else if (r.status === 'sending') stats.queued += r.n;
    else stats[r.status] += r.n;
    stats.opened += r.opened;
    stats.clicked += r.clicked;
  }
  return stats;
}
