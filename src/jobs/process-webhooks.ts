// The worker half of webhook intake: lease due deliveries, let the connectors normalise them
// (several at once: thin payloads wait on platform APIs), then apply a store's catalog changes
// from the whole batch in one transaction and everything else part by part. Several workers
// drain at once without overlap (SKIP LOCKED).
import { ZodError } from 'zod';
import type { AppContext } from '../runtime.ts';
import type { Normalised } from '../model/normalised.ts';
import type { Store } from '../model/store.ts';
import { Platform } from '../model/store.ts';
import { findStoreById, readSealedAccessToken } from '../db/repositories/stores.ts';
import { storedVariantTracking } from '../db/repositories/catalog.ts';
import { summableStockItems } from '../db/repositories/stock-levels.ts';
import { coalesceCalls, type Coalesced } from '../util/coalesce-calls.ts';
import { leaseDue, leaseParked, markFailed, markProcessedMany, outcomesOf, PARKED, type InboxEntry } from '../db/repositories/webhook-inbox.ts';
import type { StoreId } from '../model/ids.ts';
import { applyPart, partDelivery, withSourceTime } from '../ingest/apply-normalised.ts';
import { ingestCatalogParts } from '../ingest/ingest-catalog.ts';
import type { Delivery } from '../ingest/record-delivery.ts';

/** What processing needs of the runtime (the web process's context serves as well). */
type Runtime = AppContext;

const MAX_ATTEMPTS = 10;
const LEASE_MS = 5 * 60_000;
/**
 * Deliveries normalised at once. Most wait on a platform read-back, which coalesces per store
 * (connectors/shopify/inventory-readback.ts bounds the calls); eight at a time kept those calls
 * from ever filling up, so a batch of inventory webhooks drained a round trip per eight.
 */
const NORMALISE_CONCURRENCY = 32;
const loggedIgnored = new Set<string>();

/** A failure no retry can mend: the delivery is parked for support to see and replay after a fix. */
export class PermanentWebhookError extends Error {
  override name = 'PermanentWebhookError';
}

export function retryDelayMs(attempts: number): number {
  return Math.min(3_600_000, 5_000 * 2 ** Math.max(0, attempts - 1));
}

type Prepared = { entry: InboxEntry; store: Store; parts: Normalised[]; delivery: Delivery };
/** A leased delivery; `rawBody` is there when only the bytes could be stored (parked at intake). */
type Leased = InboxEntry & { rawBody?: Buffer | null };

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}

function createStoreCache(rt: Runtime) {
  const cache = new Map<string, Promise<{ store: Store; token: string | null } | undefined>>();
  return (storeId: string) => {
    let hit = cache.get(storeId);
    if (!hit) {
      hit = (async () => {
        const store = await findStoreById(rt.db.pool, storeId as Store['id']);
        if (!store) return undefined;
        const sealed = await readSealedAccessToken(rt.db.pool, store.id);
        return { store, token: sealed ? rt.secrets.open(sealed) : null };
      })();
      cache.set(storeId, hit);
    }
    return hit;
  };
}

function payloadOf(entry: Leased): unknown {
  if (!entry.rawBody) return entry.payload;
  try {
    return JSON.parse(entry.rawBody.toString('utf8'));
  } catch (err) {
    throw new PermanentWebhookError(`the stored body is not JSON: ${(err as Error).message}`);
  }
}

/**
 * Which stock items can be applied from their report, asked once per store for the whole batch
 * (every inventory delivery of a batch asks at once) rather than once per delivery.
 */
function createSummableLookup(rt: Runtime) {
  const byStore = new Map<string, Coalesced<string, boolean>>();
  return (storeId: StoreId) => {
    let lookup = byStore.get(storeId);
    if (!lookup) {
      lookup = coalesceCalls(
        async (ids: string[]) => {
          const known = await summableStockItems(rt.db.pool, storeId, [...new Set(ids)]);
          return ids.map((id) => known.has(id));
        },
        { maxBatch: 1000, maxInFlight: 1 },
      );
      byStore.set(storeId, lookup);
    }
    const found = lookup;
    return async (ids: string[]) => {
      const answers = await Promise.all(ids.map((id) => found.submit(id)));
      return new Set(ids.filter((_, i) => answers[i]));
    };
  };
}

async function prepare(
  rt: Runtime,
  entry: Leased,
  storeOf: ReturnType<typeof createStoreCache>,
  summableOf: ReturnType<typeof createSummableLookup>,
): Promise<Prepared> {
  const connector = rt.connectors[Platform.parse(entry.source)];
  if (!connector) throw new PermanentWebhookError(`no connector for ${entry.source}`);
  const found = await storeOf(entry.storeId);
  if (!found) throw new PermanentWebhookError('store no longer exists');
  const parts = await connector.normalise(entry.topic, payloadOf(entry), {
    store: found.store,
    mapping: found.store.eventMapping,
    accessToken: found.token,
    triggeredAt: entry.triggeredAt,
    trackedVariants: (ids) => storedVariantTracking(rt.db.pool, found.store.id, ids),
    summableStockItems: summableOf(found.store.id),
  });
  return { entry, store: found.store, parts, delivery: { source: `inbox:${entry.source}`, id: String(entry.id) } };
}

async function fail(rt: Runtime, entry: InboxEntry, err: unknown): Promise<void> {
  const permanent = err instanceof PermanentWebhookError || err instanceof ZodError || entry.attempts >= MAX_ATTEMPTS;
  const message = err instanceof ZodError ? `payload did not match: ${err.issues[0]?.path.join('.')}: ${err.issues[0]?.message}` : (err as Error).message;
  rt.logger.warn({ err, source: entry.source, topic: entry.topic, inboxId: entry.id, attempts: entry.attempts, permanent }, 'webhook processing failed');
  await markFailed(rt.db.pool, entry.storeId, entry.id, message, permanent ? null : retryDelayMs(entry.attempts));
}

/** Applies one delivery part by part (the path for everything but batched catalog changes). */
async function applyEach(rt: Runtime, p: Prepared, skipCatalog: boolean): Promise<string> {
  const outcomes: string[] = [];
  for (const [i, part] of p.parts.entries()) {
    if (skipCatalog && part.kind === 'catalog') {
      outcomes.push(`catalog: ${part.products.length} applied with its batch`);
      continue;
    }
    if (skipCatalog && part.kind === 'stock-levels') {
      outcomes.push(`stock levels: ${part.levels.length} applied with their batch`);
      continue;
    }
    outcomes.push(await applyPart({ pool: rt.db.pool }, p.store, part, partDelivery(p.delivery, i, p.parts.length), p.entry.triggeredAt));
  }
  return outcomes.join('; ');
}

/** One store's share of a batch: its catalog changes and stock reports together, then the rest. */
async function applyStoreBatch(rt: Runtime, batch: Prepared[]): Promise<Array<{ p: Prepared; outcome: string }>> {
  const catalog = batch.flatMap((p) =>
    p.parts.flatMap((part, i): Array<Parameters<typeof ingestCatalogParts>[2][number]> => {
      const delivery = partDelivery(p.delivery, i, p.parts.length);
      if (part.kind === 'catalog') return [{ delivery, products: withSourceTime(part.products, p.entry.triggeredAt) }];
      if (part.kind === 'stock-levels') return [{ delivery, levels: part.levels }];
      return [];
    }),
  );
  if (catalog.length > 0) await ingestCatalogParts(rt.db.pool, batch[0]!.store.id, catalog);
  const done: Array<{ p: Prepared; outcome: string }> = [];
  for (const p of batch) done.push({ p, outcome: await applyEach(rt, p, true) });
  return done;
}

/** Normalises and applies leased deliveries; each ends processed, due again, or parked. */
async function processLeased(rt: Runtime, due: Leased[]): Promise<void> {
  const storeOf = createStoreCache(rt);
  const summableOf = createSummableLookup(rt);
  const prepared = await mapLimit(due, NORMALISE_CONCURRENCY, (entry) =>
    prepare(rt, entry, storeOf, summableOf).then(
      (p) => ({ ok: true as const, p }),
      (err: unknown) => ({ ok: false as const, entry, err }),
    ),
  );
  const processed: Array<{ storeId: string; id: number; outcome: string }> = [];
  for (const r of prepared) if (!r.ok) await fail(rt, r.entry, r.err);
  const good = prepared.flatMap((r) => (r.ok ? [r.p] : []));
  for (const [, batch] of Map.groupBy(good, (p) => p.store.id)) {
    let results: Array<{ p: Prepared; outcome: string }>;
    try {
      results = await applyStoreBatch(rt, batch);
    } catch {
      // One bad delivery must not hold the others back: apply them one by one, so only it fails.
      results = [];
      for (const p of batch) {
        try {
          results.push({ p, outcome: await applyEach(rt, p, false) });
        } catch (err) {
          await fail(rt, p.entry, err);
        }
      }
    }
    for (const { p, outcome } of results) {
      processed.push({ storeId: p.entry.storeId, id: p.entry.id, outcome });
      if (outcome.startsWith('ignored') && !loggedIgnored.has(`${p.entry.source}:${p.entry.topic}`)) {
        // Once per topic and process: an unhandled topic a platform keeps sending must not flood the log.
        loggedIgnored.add(`${p.entry.source}:${p.entry.topic}`);
        rt.logger.info({ topic: p.entry.topic, source: p.entry.source }, `${outcome} (logged once per topic)`);
      }
    }
  }
  await markProcessedMany(rt.db.pool, processed);
}

/** Processes due deliveries until none are left or the time budget is spent; returns how many. */
export async function drainWebhooks(rt: Runtime, opts: { batch?: number; budgetMs?: number } = {}): Promise<number> {
  const batchSize = opts.batch ?? 100;
  const deadline = Date.now() + (opts.budgetMs ?? 20_000);
  let done = 0;
  while (Date.now() < deadline) {
    const due = await leaseDue(rt.db.pool, batchSize, LEASE_MS);
    await processLeased(rt, due);
    done += due.length;
    if (due.length < batchSize) break;
  }
  return done;
}

export type ReplayResult = { replayed: number; applied: number; parked: Array<{ id: number; reason: string | null }> };

/**
 * Runs parked deliveries of one store through normalisation again, with the code of the day.
 * Applied ones leave 'parked'; the rest are parked again with the reason of this attempt, so
 * the person replaying sees it at once. Applying is keyed on the inbox id as in the worker, so a
 * delivery's effects land once however often it is replayed.
 */
export async function replayParked(rt: Runtime, storeId: StoreId, ids: number[] | null): Promise<ReplayResult> {
  const leased = await leaseParked(rt.db.pool, storeId, ids, LEASE_MS);
  if (leased.length === 0) return { replayed: 0, applied: 0, parked: [] };
  // A replay asks for one decision now: a failure is final for this attempt.
  await processLeased(rt, leased.map((e) => ({ ...e, attempts: Math.max(e.attempts, MAX_ATTEMPTS) })));
  const after = await outcomesOf(rt.db.pool, storeId, leased.map((e) => e.id));
  return {
    replayed: leased.length,
    applied: after.filter((r) => r.outcome !== null && r.outcome !== PARKED).length,
    parked: after.filter((r) => r.outcome === PARKED).map((r) => ({ id: r.id, reason: r.reason })),
  };
}
