// The contract every connector passes with its own real-shaped, signed payloads: capability
// rows well-formed, signatures checked before anything is trusted, payloads normalised into
// the common model deterministically, and a delivery end to end stored exactly once.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import type { Connector, Normalised, WebhookRequest } from '../../connectors/connector.ts';
import { ProductInput } from '../../src/model/catalog.ts';
import { ProfileInput } from '../../src/model/profile.ts';
import { Metrics } from '../../src/model/event.ts';
import type { Platform, Store } from '../../src/model/store.ts';
import { createApp } from '../../src/web/app.ts';
import { createStore } from '../../src/stores/create-store.ts';
import { saveInstallation } from '../../src/db/repositories/stores.ts';
import { drainWebhooks } from '../../src/jobs/process-webhooks.ts';
import { testRuntime, type TestRuntime } from '../helpers/db.ts';

export type SignedDelivery = {
  name: string;
  /** A freshly signed request as the platform sends it. */
  request: () => WebhookRequest;
  topic: string;
  /** The kinds of common-model parts this delivery must normalise to, in order. */
  kinds: Array<Normalised['kind']>;
};

export type ConnectorFixture = {
  platform: Platform;
  /** Builds the connector under test (with the test's config: secrets, public keys, API stubs). */
  connector: (rt: TestRuntime) => Connector;
  /** Env for the runtime: the platform secrets the signatures are made with. */
  env?: Record<string, string>;
  store: { domain: string; externalId?: string; accessToken?: string };
  /** Signed deliveries; empty for connectors that receive no webhooks. */
  deliveries: SignedDelivery[];
  /** Payloads normalised without a webhook (custom catalogs' API bodies). */
  payloads?: Array<{ name: string; topic: string; payload: unknown; kinds: Array<Normalised['kind']> }>;
  /**
   * Called once before any delivery is normalised, e.g. to start HTTP stubs the connector fetches
   * from; the function it returns is called after the last test.
   */
  setup?: (rt: TestRuntime) => Promise<() => Promise<void>>;
  /** The delivery without its signature, for platforms that sign inside the body (default: signature headers dropped). */
  unsigned?: (req: WebhookRequest) => WebhookRequest;
  /** Checks the stored rows after the end-to-end run has drained every delivery. */
  afterDrain?: (rt: TestRuntime, store: Store) => Promise<void>;
};

const KNOWN_TRIGGER_METRICS = new Set<string>([Metrics.viewedProduct, Metrics.startedCheckout, Metrics.addedToCart]);

function headerNames(req: WebhookRequest): string[] {
  return Object.keys(req.headers).map((h) => h.toLowerCase());
}

const SINGLE_ITEM = new Set<string>([Metrics.viewedProduct, Metrics.addedToCart, Metrics.orderedProduct]);
const ITEM_LISTS = new Set<string>([Metrics.startedCheckout, Metrics.placedOrder, Metrics.fulfilledOrder, Metrics.cancelledOrder, Metrics.refundedOrder]);

/** The property names merchants already send (DESIGN §3), whichever platform the event came from. */
function checkConvention(e: Extract<Normalised, { kind: 'events' }>['events'][number]): void {
  const p = e.properties;
  assert.ok(e.value === null || (typeof e.value === 'number' && Number.isFinite(e.value)), `${e.metric}: value is a number or null`);
  if (SINGLE_ITEM.has(e.metric)) {
    for (const k of ['ProductID', 'VariantID', 'Price']) assert.ok(Object.hasOwn(p, k), `${e.metric} carries ${k}: ${JSON.stringify(p)}`);
    assert.equal(typeof p.ProductID, 'string', `${e.metric}: ProductID is a string`);
  }
  if (ITEM_LISTS.has(e.metric)) {
    assert.ok(Array.isArray(p.Items) && p.Items.length === e.items.length, `${e.metric} lists every item in Items`);
    for (const item of p.Items as Array<Record<string, unknown>>) {
      for (const k of ['ProductID', 'VariantID', 'Quantity', 'ItemPrice']) assert.ok(Object.hasOwn(item, k), `${e.metric} Items carry ${k}: ${JSON.stringify(item)}`);
    }
  }
}

function checkPart(part: Normalised): void {
  switch (part.kind) {
    case 'catalog':
      for (const p of part.products) ProductInput.parse(p);
      break;
    case 'profiles':
      for (const p of part.profiles) ProfileInput.parse(p);
      break;
    case 'events':
      for (const e of part.events) {
        assert.ok(e.metric.length > 0, 'event has a metric');
        assert.ok(e.time instanceof Date && !Number.isNaN(e.time.getTime()), 'event time is a date');
        assert.ok(e.profile.email || e.profile.phone || e.profile.externalId, 'event names a profile');
        for (const item of e.items) assert.ok(item.productExternalId || item.variantExternalId, 'item names a product or variant');
        checkConvention(e);
      }
      break;
    default:
      break;
  }
}

/**
 * A product read back from the platform is stamped with the moment it was read (its state as of
 * then), so two reads differ in that stamp alone. Stamps taken during this run are blanked;
 * any other (a time carried in the payload) must match exactly.
 */
function withoutReadTimes(parts: Normalised[], since: Date): unknown {
  return parts.map((part) =>
    part.kind === 'catalog'
      ? { ...part, products: part.products.map((p) => (p.updatedAt && p.updatedAt >= since ? { ...p, updatedAt: 'read now' } : p)) }
      : part,
  );
}

export function runConnectorContract(fx: ConnectorFixture): void {
  describe(`connector contract: ${fx.platform}`, () => {
    let rt: TestRuntime;
    let connector: Connector;
    let store: Store;
    let stop: () => Promise<void> = async () => {};
    before(async () => {
      rt = await testRuntime({ env: fx.env ?? {} });
      connector = fx.connector(rt);
      const created = await createStore(rt.db.pool, rt.secrets, { platform: fx.platform, domain: fx.store.domain });
      store = await saveInstallation(rt.db.pool, created.store.id, {
        accessTokenSealed: fx.store.accessToken ? rt.secrets.seal(fx.store.accessToken) : null,
        scopes: [],
        externalId: fx.store.externalId ?? null,
      });
      if (fx.setup) stop = await fx.setup(rt);
    });
    after(async () => {
      await stop();
      await rt.dispose();
    });

    test('declares its platform and a well-formed low-inventory capability table', () => {
      assert.equal(connector.platform, fx.platform);
      assert.ok(connector.capabilities.lowInventory.length > 0);
      for (const row of connector.capabilities.lowInventory) {
        assert.ok(row.level === 'product' || row.level === 'variant');
        assert.ok(row.metrics.length > 0);
        for (const m of row.metrics) assert.ok(KNOWN_TRIGGER_METRICS.has(m), `${m} is a trigger metric`);
      }
    });

    for (const d of fx.deliveries) {
      test(`${d.name}: verifies, names topic and shop, normalises deterministically`, async () => {
        const verdict = await connector.verifyWebhook(d.request());
        assert.ok(verdict.ok, `verified: ${verdict.ok ? '' : verdict.detail}`);
        assert.equal(verdict.topic, d.topic);
        assert.ok([store.domain, store.externalId].includes(verdict.shop), `shop ${verdict.shop} names the store`);
        assert.ok(verdict.deliveryId.length > 0);
        const ctx = { store, mapping: store.eventMapping, accessToken: fx.store.accessToken ?? null, triggeredAt: verdict.triggeredAt ?? null };
        const started = new Date();
        const first = await connector.normalise(verdict.topic, verdict.payload, ctx);
        assert.deepEqual(first.map((p) => p.kind), d.kinds, JSON.stringify(first));
        first.forEach(checkPart);
        const second = await connector.normalise(verdict.topic, verdict.payload, ctx);
        assert.deepEqual(withoutReadTimes(second, started), withoutReadTimes(first, started), 'same payload, same result');
      });

      test(`${d.name}: a tampered body or a missing signature is refused`, async () => {
        const good = d.request();
        const tampered = Buffer.from(good.rawBody);
        const mid = Math.floor(tampered.length / 2);
        tampered[mid] = (tampered[mid] ?? 0) ^ 0x01;
        const bad = await connector.verifyWebhook({ headers: good.headers, rawBody: tampered });
        assert.equal(bad.ok, false);
        const stripped = Object.fromEntries(
          Object.entries(good.headers).filter(([h]) => !/(hmac|signature|auth|token|jwt)/i.test(h)),
        );
        const unsigned = await connector.verifyWebhook(fx.unsigned ? fx.unsigned(good) : { headers: stripped, rawBody: good.rawBody });
        assert.equal(unsigned.ok, false, `refused without ${headerNames(good).join(', ')}`);
      });
    }

    for (const p of fx.payloads ?? []) {
      test(`${p.name}: normalises into the common model`, async () => {
        const ctx = { store, mapping: store.eventMapping, accessToken: null, triggeredAt: null };
        const parts = await connector.normalise(p.topic, p.payload, ctx);
        assert.deepEqual(parts.map((x) => x.kind), p.kinds);
        parts.forEach(checkPart);
      });
    }

    if (fx.deliveries.length > 0) {
      test('end to end: each delivery is acknowledged, a redelivery is a duplicate, the worker applies it once', async () => {
        const app = createApp({ ...rt, connectors: { ...rt.connectors, [fx.platform]: connector } });
        for (const d of fx.deliveries) {
          const req = d.request();
          const send = () => {
            let r = request(app).post(`/webhooks/${fx.platform}`);
            for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') r = r.set(k, v);
            // As text: supertest would JSON-encode a Buffer under a JSON content type.
            return r.send(req.rawBody.toString('utf8'));
          };
          const first = await send();
          assert.equal(first.status, 200, `${d.name}: ${JSON.stringify(first.body)}`);
          assert.equal(first.body.status, 'queued');
          const again = await send();
          assert.equal(again.status, 200);
          assert.equal(again.body.status, 'duplicate');
        }
        await drainWebhooks({ ...rt, connectors: { ...rt.connectors, [fx.platform]: connector } });
        const { rows } = await rt.db.pool.query<{ topic: string; outcome: string | null; last_error: string | null; processed_at: Date | null }>(
          'SELECT topic, outcome, last_error, processed_at FROM webhook_inbox WHERE store_id = $1 ORDER BY id',
          [store.id],
        );
        assert.equal(rows.length, fx.deliveries.length, 'one inbox row per delivery');
        for (const r of rows) {
          assert.ok(r.processed_at, `${r.topic} processed (error: ${r.last_error})`);
          assert.notEqual(r.outcome, 'failed', `${r.topic}: ${r.last_error}`);
          assert.notEqual(r.outcome, 'parked', `${r.topic} was parked: ${r.last_error}`);
        }
        if (fx.afterDrain) await fx.afterDrain(rt, store);
      });
    }
  });
}
