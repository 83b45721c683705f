import { EventMapping, type LowInventoryCatalog, type Platform, type Store } from '../../model/store.ts';
import type { StoreId } from '../../model/ids.ts';
import type { Queryable } from '../pool.ts';

type StoreRow = {
  id: string;
  platform: Platform;
  domain: string;
  external_id: string | null;
  status: 'active' | 'uninstalled';
  scopes: string[];
  public_key: string;
  low_inventory_catalog: LowInventoryCatalog;
  custom_low_inventory_enabled: boolean;
  event_mapping: unknown;
  created_at: Date;
};

const COLUMNS = 'id, platform, domain, external_id, status, scopes, public_key, low_inventory_catalog, custom_low_inventory_enabled, event_mapping, created_at';

function toStore(row: StoreRow): Store {
  return {
    id: row.id as StoreId,
    platform: row.platform,
    domain: row.domain,
    externalId: row.external_id,
    status: row.status,
    scopes: row.scopes,
    publicKey: row.public_key,
    lowInventoryCatalog: row.low_inventory_catalog,
    customLowInventoryEnabled: row.custom_low_inventory_enabled,
    // JSON columns are parsed on the way out: a hand-edited row cannot smuggle a bad shape in.
    eventMapping: EventMapping.parse(row.event_mapping ?? {}),
    createdAt: row.created_at,
  };
}

export type NewStore = {
  platform: Platform;
  domain: string;
  externalId?: string | null;
  accessTokenSealed?: string | null;
  scopes?: string[];
  publicKey: string;
  privateKeyId: string;
  privateKeyHash: Buffer;
};

export async function insertStore(db: Queryable, s: NewStore): Promise<Store> {
  const { rows } = await db.query<StoreRow>(
    `INSERT INTO stores (platform, domain, external_id, access_token_enc, scopes, public_key, private_key_id, private_key_hash)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
    [s.platform, s.domain, s.externalId ?? null, s.accessTokenSealed ?? null, s.scopes ?? [], s.publicKey, s.privateKeyId, s.privateKeyHash],
  );
  return toStore(rows[0]!);
}

export async function findStoreById(db: Queryable, id: StoreId): Promise<Store | undefined> {
  const { rows } = await db.query<StoreRow>(`SELECT ${COLUMNS} FROM stores WHERE id = $1`, [id]);
  return rows[0] && toStore(rows[0]);
}

export async function findStoreByDomain(db: Queryable, platform: Platform, domain: string): Promise<Store | undefined> {
  const { rows } = await db.query<StoreRow>(`SELECT ${COLUMNS} FROM stores WHERE platform = $1 AND domain = $2`, [platform, domain]);
  return rows[0] && toStore(rows[0]);
}

export async function findStoreByPublicKey(db: Queryable, publicKey: string): Promise<Store | undefined> {
  const { rows } = await db.query<StoreRow>(`SELECT ${COLUMNS} FROM stores WHERE public_key = $1`, [publicKey]);
  return rows[0] && toStore(rows[0]);
}

/** The store and its key hash, for a constant-time comparison by the caller. */
export async function findStoreByPrivateKeyId(
  db: Queryable,
  keyId: string,
): Promise<{ store: Store; privateKeyHash: Buffer } | undefined> {
  const { rows } = await db.query<StoreRow & { private_key_hash: Buffer }>(
    `SELECT ${COLUMNS}, private_key_hash FROM stores WHERE private_key_id = $1`,
    [keyId],
  );
  const row = rows[0];
  return row && { store: toStore(row), privateKeyHash: row.private_key_hash };
}

export async function updateEventMapping(db: Queryable, id: StoreId, mapping: EventMapping): Promise<void> {
  await db.query('UPDATE stores SET event_mapping = $2, updated_at = now() WHERE id = $1', [id, JSON.stringify(mapping)]);
}

export async function readSealedAccessToken(db: Queryable, id: StoreId): Promise<string | null> {
  const { rows } = await db.query<{ access_token_enc: string | null }>('SELECT access_token_enc FROM stores WHERE id = $1', [id]);
  return rows[0]?.access_token_enc ?? null;
}

export async function rotateStoreKeys(
  db: Queryable,
  id: StoreId,
  keys: { publicKey: string; privateKeyId: string; privateKeyHash: Buffer },
): Promise<Store> {
  const { rows } = await db.query<StoreRow>(
    `UPDATE stores SET public_key = $2, private_key_id = $3, private_key_hash = $4, updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, keys.publicKey, keys.privateKeyId, keys.privateKeyHash],
  );
  return toStore(rows[0]!);
}

/** A store by how a platform names it in webhooks: its domain or its platform id (store hash, instance id). */
export async function findStoreByShop(db: Queryable, platform: Platform, shop: string): Promise<Store | undefined> {
  const { rows } = await db.query<StoreRow>(
    `SELECT ${COLUMNS} FROM stores WHERE platform = $1 AND (domain = $2 OR external_id = $2) ORDER BY (domain = $2) DESC LIMIT 1`,
    [platform, shop],
  );
  return rows[0] && toStore(rows[0]);
}

/** Install or reinstall: a fresh token, the scopes granted, status active. */
export async function saveInstallation(
  db: Queryable,
  id: StoreId,
  i: { accessTokenSealed: string | null; scopes: string[]; externalId?: string | null },
): Promise<Store> {
  const { rows } = await db.query<StoreRow>(
    `UPDATE stores SET access_token_enc = $2, scopes = $3, external_id = COALESCE($4, external_id), status = 'active',
       installed_at = now(), updated_at = now()
     WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, i.accessTokenSealed, i.scopes, i.externalId ?? null],
  );
  // Runs the uninstall paused pick up where they stood (a waiting run looks at its wait again).
  await db.query(
    "UPDATE flow_runs SET status = 'active', next_at = COALESCE(next_at, now()), end_reason = NULL WHERE store_id = $1 AND status = 'paused' AND end_reason = 'store uninstalled'",
    [id],
  );
  return toStore(rows[0]!);
}

/**
 * Uninstall: the token is wiped at once, the store kept (compliance redaction comes later).
 * An uninstall the platform says happened before the latest install is a late retry from the
 * previous installation and changes nothing; returns whether the store was uninstalled.
 */
export async function markUninstalled(db: Queryable, id: StoreId, triggeredAt: Date | null = null): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE stores SET status = 'uninstalled', access_token_enc = NULL, updated_at = now()
     WHERE id = $1 AND ($2::timestamptz IS NULL OR $2::timestamptz >= installed_at)`,
    [id, triggeredAt],
  );
  return rowCount === 1;
}
