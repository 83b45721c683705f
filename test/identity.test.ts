// Identity resolution (DESIGN §7): profiles keep every identifier they are given, events that
// name two profiles join them, two different emails are never joined, and a browser's anonymous
// id joins the person once they identify. Through the real routes and the worker's paths.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { createStore } from '../src/stores/create-store.ts';
import { saveInstallation } from '../src/db/repositories/stores.ts';
import { ingestCatalog } from '../src/ingest/ingest-catalog.ts';
import { ingestEvents } from '../src/ingest/ingest-events.ts';
import { ingestProfiles } from '../src/ingest/ingest-profiles.ts';
import { drainWebhooks } from '../src/jobs/process-webhooks.ts';
import { processTriggerQueue } from '../src/flows/enter-flows.ts';
import { runFlowTick } from '../src/flows/tick.ts';
import { listMerges } from '../src/db/repositories/profile-identifiers.ts';
import { createApp } from '../src/web/app.ts';
import type { EventInput } from '../src/model/event.ts';
import type { ExternalProductId, StoreId } from '../src/model/ids.ts';
import type { ProfileIdentity } from '../src/model/profile.ts';
import { ENV as SHOPIFY_ENV, SHOP, fixture, postDelivery, signedDelivery } from './fixtures/shopify/kit.ts';

describe('identity resolution', () => {
  let rt: TestRuntime;
  let app: ReturnType<typeof createApp>;

  before(async () => {
    rt = await testRuntime({ env: SHOPIFY_ENV });
    app = createApp(rt);
  });
  after(async () => rt.dispose());

  const tick = (now = new Date()) => runFlowTick({ pool: rt.db.pool, config: rt.config, secrets: rt.secrets, logger: rt.logger }, { now });
  const triggers = (now = new Date()) => processTriggerQueue(rt.db.pool, { now });

  async function customStore(): Promise<{ id: StoreId; auth: { Authorization: string }; publicKey: string }> {
    const created = await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: `id-${randomUUID().slice(0, 8)}.example` });
    return { id: created.store.id, auth: { Authorization: `Bearer ${created.privateKey}` }, publicKey: created.publicKey };
  }

  const event = (profile: ProfileIdentity, metric = 'Viewed Product', time = new Date()): EventInput => ({
    metric,
    profile,
    time,
    value: null,
    properties: {},
    items: [{ productExternalId: 'p1' as ExternalProductId, variantExternalId: null, quantity: 1, price: 10 }],
    uniqueId: randomUUID(),
  });

  async function profilesOf(storeId: StoreId) {
    const { rows } = await rt.db.pool.query<{ id: string; email: string | null; phone: string | null; external_id: string | null; email_consent: string; sms_consent: string; properties: Record<string, unknown> }>(
      'SELECT id, email, phone, external_id, email_consent, sms_consent, properties FROM profiles WHERE store_id = $1 ORDER BY created_at, id',
      [storeId],
    );
    return rows;
  }

  async function identifiersOf(storeId: StoreId, profileId: string): Promise<string[]> {
    const { rows } = await rt.db.pool.query<{ k: string }>(
      "SELECT kind || ':' || value AS k FROM profile_identifiers WHERE store_id = $1 AND profile_id = $2 ORDER BY kind, value",
      [storeId, profileId],
    );
    return rows.map((r) => r.k);
  }

  test('a Shopify checkouts/create with customer id and email leads to a low-inventory email at that address', async () => {
    const created = await createStore(rt.db.pool, rt.secrets, { platform: 'shopify', domain: SHOP });
    const store = await saveInstallation(rt.db.pool, created.store.id, { accessTokenSealed: rt.secrets.seal('shpat_identity'), scopes: [] });
    const auth = { Authorization: `Bearer ${created.privateKey}` };
    const checkout = fixture('checkouts-create') as { customer: { id: number; email: string }; line_items: Array<{ product_id: number }> };
    const productId = String(checkout.line_items[0]!.product_id) as ExternalProductId;
    const product = (qty: number) => ({ externalId: productId, title: 'Linen Shirt', url: 'https://shop.example.com/shirt', price: 59, inventoryTracking: 'product' as const, inventoryQuantity: qty, variants: [] });
    await ingestCatalog(rt.db.pool, store.id, [product(10)]);
    const flow = await request(app).post('/api/v1/flows').set(auth).send({
      preset: 'low-inventory', status: 'live',
      trigger: { type: 'low-inventory', level: 'product', threshold: 5, metrics: ['Started Checkout'], lookbackDays: 30, excludePurchasedWithinDays: 7 },
    });
    assert.equal(flow.status, 201, JSON.stringify(flow.body));

    const res = await postDelivery(request(app), signedDelivery('checkouts/create', checkout));
    assert.equal(res.status, 200, res.text);
    await drainWebhooks(rt);
    await triggers();

    const [shopper, ...others] = await profilesOf(store.id);
    assert.equal(others.length, 0);
    assert.equal(shopper!.external_id, String(checkout.customer.id));
    assert.equal(shopper!.email, 'ada@example.com');
    const listed = await request(app).get('/api/v1/profiles').query({ externalId: String(checkout.customer.id) }).set(auth);
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body.data.map((p: { email: string; externalId: string }) => [p.email, p.externalId]), [['ada@example.com', String(checkout.customer.id)]]);

    await ingestCatalog(rt.db.pool, store.id, [product(3)]);
    await triggers();
    await tick();
    const { rows } = await rt.db.pool.query<{ status: string; recipient: string; reason: string | null }>(
      'SELECT status, recipient, reason FROM messages WHERE store_id = $1 AND flow_id = $2',
      [store.id, flow.body.id],
    );
    assert.deepEqual(rows, [{ status: 'queued', recipient: 'ada@example.com', reason: null }]);
  });

  test('{externalId, email} next to an email-only profile extends it instead of making a second person', async () => {
    const s = await customStore();
    await ingestEvents(rt.db.pool, s.id, [event({ email: 'grace@example.com' })]);
    const res = await request(app).post('/api/v1/events').set(s.auth).send({ events: [{ metric: 'Placed Order', profile: { externalId: 'cust-1', email: 'Grace@Example.com' }, properties: {} }] });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const profiles = await profilesOf(s.id);
    assert.equal(profiles.length, 1);
    assert.deepEqual(await identifiersOf(s.id, profiles[0]!.id), ['email:grace@example.com', 'external_id:cust-1']);
    const { rows } = await rt.db.pool.query<{ n: number }>('SELECT count(DISTINCT profile_id)::int AS n FROM events WHERE store_id = $1', [s.id]);
    assert.equal(rows[0]!.n, 1);
    for (const query of [{ email: 'grace@example.com' }, { externalId: 'cust-1' }]) {
      const listed = await request(app).get('/api/v1/profiles').query(query).set(s.auth);
      assert.deepEqual(listed.body.data.map((p: { id: string; email: string; externalId: string }) => [p.id, p.email, p.externalId]), [[profiles[0]!.id, 'grace@example.com', 'cust-1']]);
    }
  });

  test('an event carrying the phone of one profile and the email of another merges them: events, runs, lists, stricter consent, recorded', async () => {
    const s = await customStore();
    await ingestProfiles(rt.db.pool, s.id, [{ phone: '+14155550101', consent: { email: 'unsubscribed', sms: 'subscribed' }, lists: ['VIP'], properties: { tier: 'gold', source: 'sms' } }]);
    await ingestProfiles(rt.db.pool, s.id, [{ email: 'linus@example.com', consent: { email: 'subscribed' }, lists: ['Newsletter'], properties: { source: 'web' } }]);
    const flow = await request(app).post('/api/v1/flows').set(s.auth).send({
      name: 'Viewed', status: 'live', trigger: { type: 'metric', metric: 'Viewed Product', where: [] }, reentry: { mode: 'always' },
      start: 'wait', steps: [{ id: 'wait', type: 'delay', duration: 'PT1H', next: 'mail' }, { id: 'mail', type: 'email', subject: 'Hi', html: '<p>Hi {{ unsubscribeUrl }}</p>' }],
    });
    assert.equal(flow.status, 201, JSON.stringify(flow.body));
    await ingestEvents(rt.db.pool, s.id, [event({ phone: '+14155550101' }), event({ email: 'linus@example.com' })]);
    await triggers();
    const before = await profilesOf(s.id);
    assert.equal(before.length, 2);
    const { rows: runsBefore } = await rt.db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM flow_runs WHERE store_id = $1 AND status = 'active'", [s.id]);
    assert.equal(runsBefore[0]!.n, 2);

    await ingestEvents(rt.db.pool, s.id, [event({ email: 'linus@example.com', phone: '+14155550101' }, 'Added to Cart')]);

    const after = await profilesOf(s.id);
    assert.equal(after.length, 1);
    const survivor = after[0]!;
    assert.equal(survivor.id, before[0]!.id, 'the older profile survives');
    assert.equal(survivor.email, 'linus@example.com');
    assert.equal(survivor.phone, '+14155550101');
    assert.equal(survivor.email_consent, 'unsubscribed', 'the stricter consent wins');
    assert.equal(survivor.sms_consent, 'subscribed');
    assert.deepEqual(survivor.properties, { tier: 'gold', source: 'sms' });
    assert.deepEqual(await identifiersOf(s.id, survivor.id), ['email:linus@example.com', 'phone:+14155550101']);
    const { rows: events } = await rt.db.pool.query<{ profile_id: string; n: number }>('SELECT profile_id, count(*)::int AS n FROM events WHERE store_id = $1 GROUP BY profile_id', [s.id]);
    assert.deepEqual(events, [{ profile_id: survivor.id, n: 3 }]);
    const { rows: lists } = await rt.db.pool.query<{ list: string; profile_id: string }>('SELECT list, profile_id FROM profile_lists WHERE store_id = $1 ORDER BY list', [s.id]);
    assert.deepEqual(lists, [{ list: 'Newsletter', profile_id: survivor.id }, { list: 'VIP', profile_id: survivor.id }]);
    // Both runs of the flow now belong to one person: one goes on, so one message is made.
    const { rows: runs } = await rt.db.pool.query<{ profile_id: string; status: string }>('SELECT profile_id, status FROM flow_runs WHERE store_id = $1 ORDER BY status', [s.id]);
    assert.deepEqual(runs, [{ profile_id: survivor.id, status: 'active' }, { profile_id: survivor.id, status: 'exited' }]);
    await tick(new Date(Date.now() + 2 * 3_600_000));
    await tick(new Date(Date.now() + 4 * 3_600_000));
    const { rows: messages } = await rt.db.pool.query<{ profile_id: string; status: string; reason: string | null }>('SELECT profile_id, status, reason FROM messages WHERE store_id = $1', [s.id]);
    assert.deepEqual(messages, [{ profile_id: survivor.id, status: 'skipped', reason: 'no consent' }]);
    const merges = await listMerges(rt.db.pool, s.id);
    assert.equal(merges.length, 1);
    assert.equal(merges[0]!.outcome, 'merged');
    assert.equal(merges[0]!.survivorId, survivor.id);
    assert.equal(merges[0]!.otherId, before[1]!.id);
    assert.deepEqual(merges[0]!.identifiers.map((i) => i.kind).sort(), ['email', 'phone']);
  });

  test('two different emails are never merged: the conflict is recorded and the event goes to the email it names', async () => {
    const s = await customStore();
    await ingestEvents(rt.db.pool, s.id, [event({ email: 'ann@example.com', phone: '+14155550102' })]);
    await ingestEvents(rt.db.pool, s.id, [event({ email: 'bob@example.com' })]);
    const [ann, bob] = await profilesOf(s.id);
    // A shared household phone next to Bob's email.
    const shared = event({ email: 'bob@example.com', phone: '+14155550102' }, 'Placed Order');
    await ingestEvents(rt.db.pool, s.id, [shared]);
    // A customer id already held by Ann, next to Bob's email: the customer id is stronger.
    await ingestEvents(rt.db.pool, s.id, [event({ externalId: 'ann-1', email: 'ann@example.com' })]);
    const byId = event({ externalId: 'ann-1', email: 'bob@example.com' }, 'Started Checkout');
    await ingestEvents(rt.db.pool, s.id, [byId]);

    const profiles = await profilesOf(s.id);
    assert.deepEqual(profiles.map((p) => p.email), ['ann@example.com', 'bob@example.com']);
    assert.deepEqual(await identifiersOf(s.id, ann!.id), ['email:ann@example.com', 'external_id:ann-1', 'phone:+14155550102']);
    assert.deepEqual(await identifiersOf(s.id, bob!.id), ['email:bob@example.com']);
    const owner = async (uniqueId: string) => (await rt.db.pool.query<{ profile_id: string }>('SELECT profile_id FROM events WHERE store_id = $1 AND unique_id = $2', [s.id, uniqueId])).rows[0]!.profile_id;
    assert.equal(await owner(shared.uniqueId!), bob!.id, 'email is stronger than phone');
    assert.equal(await owner(byId.uniqueId!), ann!.id, 'the customer id is stronger than email');
    const merges = await listMerges(rt.db.pool, s.id);
    assert.ok(merges.length >= 2);
    assert.ok(merges.every((m) => m.outcome === 'conflict' && /two different emails/.test(m.reason ?? '')), JSON.stringify(merges));
    // The same conflict met again is not recorded twice.
    await ingestEvents(rt.db.pool, s.id, [event({ email: 'bob@example.com', phone: '+14155550102' })]);
    assert.equal((await listMerges(rt.db.pool, s.id)).length, merges.length);
  });

  test('the storefront anonymous id is joined to the person when they type their email', async () => {
    const s = await customStore();
    await ingestProfiles(rt.db.pool, s.id, [{ email: 'known@example.com', firstName: 'Kay' }]);
    const anon = `anon-${randomUUID()}`;
    const track = (profile: ProfileIdentity, metric: string) =>
      request(app).post('/api/v1/track').set('content-type', 'text/plain').send(JSON.stringify({ publicKey: s.publicKey, metric, profile, properties: { ProductID: 'p1' } }));
    assert.equal((await track({ anonymousId: anon }, 'Viewed Product')).status, 202);
    assert.equal((await track({ anonymousId: anon }, 'Added to Cart')).status, 202);
    assert.equal((await profilesOf(s.id)).length, 2);
    assert.equal((await track({ anonymousId: anon, email: 'known@example.com' }, 'Started Checkout')).status, 202);
    const profiles = await profilesOf(s.id);
    assert.equal(profiles.length, 1);
    assert.deepEqual(await identifiersOf(s.id, profiles[0]!.id), [`anonymous_id:${anon}`, 'email:known@example.com']);
    const { rows } = await rt.db.pool.query<{ metric: string; profile_id: string }>('SELECT metric, profile_id FROM events WHERE store_id = $1 ORDER BY id', [s.id]);
    assert.deepEqual(rows.map((r) => [r.metric, r.profile_id]), [['Viewed Product', profiles[0]!.id], ['Added to Cart', profiles[0]!.id], ['Started Checkout', profiles[0]!.id]]);
  });

  test('concurrent deliveries for the same new shopper make one profile', async () => {
    const s = await customStore();
    const who = [{ externalId: 'c-9', email: 'new@example.com' }, { email: 'new@example.com', phone: '+14155550109' }, { externalId: 'c-9' }, { phone: '+14155550109', anonymousId: 'a-9' }];
    await Promise.all(Array.from({ length: 12 }, (_, n) => ingestEvents(rt.db.pool, s.id, [event(who[n % who.length]!), event({ email: `other-${n}@example.com` })])));
    const { rows } = await rt.db.pool.query<{ n: number }>(
      "SELECT count(DISTINCT profile_id)::int AS n FROM profile_identifiers WHERE store_id = $1 AND value IN ('c-9', 'new@example.com', '+14155550109', 'a-9')",
      [s.id],
    );
    assert.equal(rows[0]!.n, 1);
    assert.equal((await profilesOf(s.id)).length, 13);
  });
});
