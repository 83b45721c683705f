// Fault drill: a worker process SIGKILLed in the middle of a BigCommerce catalog pull (a page
// request in flight, three pages stored), then a fresh worker. The sync resumes from the stored
// cursor: every product arrives once, no page is asked for twice after the last stored one, and
// the sync's own tallies count each page once.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createStore } from '../src/stores/create-store.ts';
import { saveInstallation } from '../src/db/repositories/stores.ts';
import { findSync, requestSync } from '../src/db/repositories/catalog-syncs.ts';
import type { Store } from '../src/model/store.ts';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { ROOT } from './helpers/spawn.ts';
import { startChild, stopChild, waitFor, type Child } from './helpers/drill.ts';
import { startBigCommerceStub, type Stub } from './fixtures/bigcommerce/stub-api.ts';
import { ACCESS_TOKEN, CLIENT_ID, CLIENT_SECRET, STORE_HASH, productTrackedProduct } from './fixtures/bigcommerce/payloads.ts';

const PRODUCTS = 20;
const PAGE_SIZE = 2;
/** The first worker gets pages up to this cursor; the request after it hangs until it is killed. */
const HOLD_FROM_CURSOR = 6;

/**
 * Sits in front of the BigCommerce stub and holds catalog-page requests past a cursor, so the
 * kill lands while a page request is in flight rather than at a moment picked by a timer.
 */
type Gate = { url: string; held: number; asked: string[]; open(): void; close(): Promise<void> };

async function startGate(upstream: string): Promise<Gate> {
  let holding = true;
  const waiting: Array<() => void> = [];
  const gate = { held: 0, asked: [] as string[] };
  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const up = httpRequest(`${upstream}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    up.on('error', () => res.destroy());
    up.end(body);
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://gate');
      const after = url.searchParams.get('id:greater_than');
      if (url.pathname.endsWith('/v3/catalog/products') && after !== null) {
        gate.asked.push(after);
        if (holding && Number(after) >= HOLD_FROM_CURSOR) {
          gate.held++;
          waiting.push(() => forward(req, res, Buffer.concat(chunks)));
          return;
        }
      }
      forward(req, res, Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get held() {
      return gate.held;
    },
    asked: gate.asked,
    open() {
      holding = false;
      for (const go of waiting.splice(0)) go();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('catalog sync: a worker SIGKILLed mid-pull, then a fresh worker', () => {
  let rt: TestRuntime;
  let stub: Stub;
  let gate: Gate;
  let store: Store;
  const workers: Child[] = [];

  const spawnWorker = (): Child => {
    const w = startChild(join(ROOT, 'test', 'helpers', 'bigcommerce-stub-worker.ts'), [], {
      DATABASE_URL: rt.config.databaseUrl!,
      ENCRYPTION_KEY: rt.config.encryptionKey!.toString('base64'),
      DATA_DIR: rt.dataDir,
      LOG_LEVEL: 'warn',
      BIGCOMMERCE_CLIENT_ID: CLIENT_ID,
      BIGCOMMERCE_CLIENT_SECRET: CLIENT_SECRET,
      BIGCOMMERCE_STUB_URL: gate.url,
      BIGCOMMERCE_STUB_PAGE_SIZE: String(PAGE_SIZE),
    });
    workers.push(w);
    return w;
  };

  before(async () => {
    rt = await testRuntime();
    stub = await startBigCommerceStub({ storeHash: STORE_HASH, token: ACCESS_TOKEN });
    for (let id = 1; id <= PRODUCTS; id++) {
      const p = productTrackedProduct(id, id);
      stub.state.products.set(id, { ...p, name: `Product ${id}`, variants: [{ ...p.variants[0]!, id: 1000 + id }] });
    }
    gate = await startGate(stub.url);
    const created = await createStore(rt.db.pool, rt.secrets, { platform: 'bigcommerce', domain: 'drill.example.com' });
    store = await saveInstallation(rt.db.pool, created.store.id, { accessTokenSealed: rt.secrets.seal(ACCESS_TOKEN), scopes: [], externalId: STORE_HASH });
  });

  after(async () => {
    for (const w of workers) await stopChild(w);
    await gate?.close();
    await stub?.close();
    await rt?.dispose();
  });

  test('the sync resumes from its cursor; nothing is lost and nothing is stored or counted twice', async () => {
    await requestSync(rt.db.pool, store.id);
    const first = spawnWorker();
    const sync = () => findSync(rt.db.pool, store.id);

    // Three pages stored and the fourth asked for (held at the gate): kill the worker there.
    await waitFor('three pages stored and the fourth in flight', async () => {
      const s = await sync();
      return s?.pages === 3 && gate.held > 0 && s;
    }, 90_000);
    await stopChild(first, 'SIGKILL');
    assert.equal(first.child.signalCode, 'SIGKILL', first.output());

    const killed = await sync();
    assert.deepEqual([killed?.status, killed?.cursor, killed?.pages, killed?.products], ['running', String(HOLD_FROM_CURSOR), 3, 6]);
    const before = await rt.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM products WHERE store_id = $1', [store.id]);
    assert.equal(before.rows[0]!.n, 6);

    // The dead worker's claims (the sync's heartbeat and the job's Agenda lock, both renewed per
    // page) lapse two minutes after its last page; age them by three instead of waiting.
    await rt.db.pool.query("UPDATE catalog_syncs SET heartbeat_at = heartbeat_at - interval '3 minutes' WHERE store_id = $1", [store.id]);
    const lapsed = await rt.db.pool.query(
      "UPDATE agenda_jobs SET locked_at = locked_at - interval '3 minutes' WHERE name = 'catalog:sync' AND locked_at IS NOT NULL",
    );
    assert.equal(lapsed.rowCount, 1, 'the killed worker held the catalog job');
    gate.open();
    const askedBefore = gate.asked.length;
    spawnWorker();
    const done = await waitFor('the resumed sync to finish', async () => {
      const s = await sync();
      return s?.status === 'done' && s;
    }, 90_000);

    assert.equal(done.lastError, null);
    assert.deepEqual([done.pages, done.products, done.cursor], [PRODUCTS / PAGE_SIZE, PRODUCTS, null]);
    // The fresh worker started at the stored cursor and asked for each later page once.
    assert.deepEqual(gate.asked.slice(askedBefore), ['6', '8', '10', '12', '14', '16', '18']);

    const products = await rt.db.pool.query<{ external_id: string; inventory_quantity: number }>(
      'SELECT external_id, inventory_quantity FROM products WHERE store_id = $1 ORDER BY external_id::int',
      [store.id],
    );
    assert.deepEqual(
      products.rows.map((r) => [r.external_id, r.inventory_quantity]),
      Array.from({ length: PRODUCTS }, (_, i) => [String(i + 1), i + 1]),
    );
    const variants = await rt.db.pool.query<{ n: number; distinct: number }>(
      'SELECT count(*)::int AS n, count(DISTINCT external_id)::int AS distinct FROM variants WHERE store_id = $1',
      [store.id],
    );
    assert.deepEqual(variants.rows[0], { n: PRODUCTS, distinct: PRODUCTS });
    // One inventory observation per product: no page was ingested twice with a new reading.
    const observed = await rt.db.pool.query<{ max: number; products: number }>(
      `SELECT max(n)::int AS max, count(*)::int AS products FROM (
         SELECT product_id, count(*) AS n FROM inventory_observations WHERE store_id = $1 AND variant_id IS NULL GROUP BY product_id) o`,
      [store.id],
    );
    assert.deepEqual(observed.rows[0], { max: 1, products: PRODUCTS });
  });
});
