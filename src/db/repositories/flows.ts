import type { FlowId, StoreId } from '../../model/ids.ts';
import type { Flow, FlowStatus } from '../../model/flow.ts';
import type { Queryable } from '../pool.ts';

type FlowRow = {
  id: string;
  store_id: string;
  name: string;
  tags: string[];
  status: FlowStatus;
  current_version: number;
  trigger_type: string;
  created_at: Date;
  updated_at: Date;
  archived_at: Date | null;
};

const toFlow = (r: FlowRow): Flow => ({
  id: r.id as FlowId,
  storeId: r.store_id as StoreId,
  name: r.name,
  tags: r.tags,
  status: r.status,
  version: r.current_version,
  triggerType: r.trigger_type,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  archivedAt: r.archived_at ?? null,
});

export type FlowHeader = { name: string; tags: string[]; status: FlowStatus; triggerType: string; triggerKey: string | null };

/** Creates a flow with its first version; the definition is stored as validated JSON. */
export async function insertFlow(db: Queryable, storeId: StoreId, h: FlowHeader, definition: unknown): Promise<Flow> {
  const { rows } = await db.query<FlowRow>(
    `WITH f AS (
       INSERT INTO flows (store_id, name, tags, status, trigger_type, trigger_key) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *
     ), v AS (
       INSERT INTO flow_versions (store_id, flow_id, version, definition) SELECT store_id, id, 1, $7::jsonb FROM f
     ) SELECT * FROM f`,
    [storeId, h.name, h.tags, h.status, h.triggerType, h.triggerKey, JSON.stringify(definition)],
  );
  return toFlow(rows[0]!);
}

/** Publishes a new version; runs in flight keep the version they entered with. */
export async function insertFlowVersion(db: Queryable, storeId: StoreId, flowId: FlowId, h: FlowHeader, definition: unknown): Promise<Flow | undefined> {
  const { rows } = await db.query<FlowRow>(
    `WITH f AS (
       UPDATE flows SET name = $3, tags = $4, status = $5, trigger_type = $6, trigger_key = $7,
         current_version = current_version + 1, updated_at = now()
       WHERE store_id = $1 AND id = $2 RETURNING *
     ), v AS (
       INSERT INTO flow_versions (store_id, flow_id, version, definition) SELECT store_id, id, current_version, $8::jsonb FROM f
     ) SELECT * FROM f`,
    [storeId, flowId, h.name, h.tags, h.status, h.triggerType, h.triggerKey, JSON.stringify(definition)],
  );
  return rows[0] && toFlow(rows[0]);
}

export async function setFlowStatus(db: Queryable, storeId: StoreId, flowId: FlowId, status: FlowStatus): Promise<{ flow: Flow; previous: FlowStatus } | undefined> {
  const { rows } = await db.query<FlowRow & { previous: FlowStatus }>(
    // Turning an archived flow on brings it back from the archive.
    `UPDATE flows f SET status = $3, archived_at = CASE WHEN $3 = 'draft' THEN f.archived_at ELSE NULL END, updated_at = now() FROM (SELECT id, status AS previous FROM flows WHERE store_id = $1 AND id = $2 FOR UPDATE) old
     WHERE f.store_id = $1 AND f.id = old.id RETURNING f.*, old.previous`,
    [storeId, flowId, status],
  );
  return rows[0] && { flow: toFlow(rows[0]), previous: rows[0].previous };
}

export async function findFlow(db: Queryable, storeId: StoreId, flowId: FlowId): Promise<Flow | undefined> {
  const { rows } = await db.query<FlowRow>('SELECT * FROM flows WHERE store_id = $1 AND id = $2', [storeId, flowId]);
  return rows[0] && toFlow(rows[0]);
}

export async function listFlows(db: Queryable, storeId: StoreId): Promise<Flow[]> {
  const { rows } = await db.query<FlowRow>('SELECT * FROM flows WHERE store_id = $1 ORDER BY created_at, id', [storeId]);
  return rows.map(toFlow);
}

/** The raw stored definition of a version; callers parse it (JSON columns are checked on read). */
export async function findFlowVersion(db: Queryable, storeId: StoreId, flowId: FlowId, version: number): Promise<unknown> {
  const { rows } = await db.query<{ definition: unknown }>(
    'SELECT definition FROM flow_versions WHERE store_id = $1 AND flow_id = $2 AND version = $3',
    [storeId, flowId, version],
  );
  return rows[0]?.definition;
}

export type TriggerableFlow = { id: FlowId; storeId: StoreId; status: FlowStatus; version: number; definition: unknown };

/** Live and manual flows of one store started by the given trigger type (and key, when given). */
export async function findTriggerableFlows(db: Queryable, storeId: StoreId, triggerType: string, keys: string[] | null): Promise<TriggerableFlow[]> {
  const { rows } = await db.query<{ id: string; store_id: string; status: FlowStatus; current_version: number; definition: unknown }>(
    `SELECT f.id, f.store_id, f.status, f.current_version, v.definition FROM flows f
     JOIN flow_versions v ON v.store_id = f.store_id AND v.flow_id = f.id AND v.version = f.current_version
     WHERE f.store_id = $1 AND f.status <> 'draft' AND f.trigger_type = $2 AND ($3::text[] IS NULL OR f.trigger_key = ANY($3::text[]))`,
    [storeId, triggerType, keys],
  );
  return rows.map((r) => ({ id: r.id as FlowId, storeId: r.store_id as StoreId, status: r.status, version: r.current_version, definition: r.definition }));
}

/** Every store's live or manual flows of a trigger type (date and segment triggers scan them on a schedule). */
export async function findAllTriggerableFlows(db: Queryable, triggerType: string): Promise<TriggerableFlow[]> {
  const { rows } = await db.query<{ id: string; store_id: string; status: FlowStatus; current_version: number; definition: unknown }>(
    `SELECT f.id, f.store_id, f.status, f.current_version, v.definition FROM flows f
     JOIN flow_versions v ON v.store_id = f.store_id AND v.flow_id = f.id AND v.version = f.current_version
     JOIN stores s ON s.id = f.store_id AND s.status = 'active'
     WHERE f.status <> 'draft' AND f.trigger_type = $1`,
    [triggerType],
  );
  return rows.map((r) => ({ id: r.id as FlowId, storeId: r.store_id as StoreId, status: r.status, version: r.current_version, definition: r.definition }));
}

/** Archives (a date) or restores (null) a flow; archiving also stops it as a draft. */
export async function setFlowArchived(db: Queryable, storeId: StoreId, flowId: FlowId, at: Date | null): Promise<Flow | undefined> {
  const { rows } = await db.query<FlowRow>(
    `UPDATE flows SET archived_at = $3, status = CASE WHEN $3::timestamptz IS NULL THEN status ELSE 'draft' END, updated_at = now()
     WHERE store_id = $1 AND id = $2 RETURNING *`,
    [storeId, flowId, at],
  );
  return rows[0] && toFlow(rows[0]);
}

/** Runs still inside the flow: entered and not yet completed or exited. */
export async function countUnfinishedRuns(db: Queryable, storeId: StoreId, flowId: FlowId): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM flow_runs WHERE store_id = $1 AND flow_id = $2 AND status IN ('active', 'waiting', 'paused')`,
    [storeId, flowId],
  );
  return rows[0]?.n ?? 0;
}

/**
 * Deletes the flow with its versions and runs; its messages stay in the log. Runs carry no
 * foreign key (migration 230): they go here, in the statement that deletes the flow.
 */
export async function deleteFlowRow(db: Queryable, storeId: StoreId, flowId: FlowId): Promise<boolean> {
  const { rows } = await db.query<{ n: number }>(
    `WITH runs AS (DELETE FROM flow_runs WHERE store_id = $1 AND flow_id = $2)
     , gone AS (DELETE FROM flows WHERE store_id = $1 AND id = $2 RETURNING 1)
     SELECT count(*)::int AS n FROM gone`,
    [storeId, flowId],
  );
  return rows[0]!.n === 1;
}

/** Locks the flow row for a decision about the whole flow; false when there is no such flow. */
export async function lockFlow(db: Queryable, storeId: StoreId, flowId: FlowId): Promise<boolean> {
  const { rows } = await db.query('SELECT 1 FROM flows WHERE store_id = $1 AND id = $2 FOR UPDATE', [storeId, flowId]);
  return rows.length === 1;
}

/**
 * Names of the flows a list or segment starts: renaming or deleting it would leave them never
 * starting, so the merchant is told which to change first.
 */
export async function flowsStartedBy(db: Queryable, storeId: StoreId, triggerType: 'list' | 'segment', key: string): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    'SELECT name FROM flows WHERE store_id = $1 AND trigger_type = $2 AND trigger_key = $3 ORDER BY name',
    [storeId, triggerType, key],
  );
  return rows.map((r) => r.name);
}
