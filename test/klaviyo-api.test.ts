// The Klaviyo-compatible surface driven by Klaviyo's own client (klaviyo-api, pinned), pointed
// at the running app by basePath: every served endpoint, bad input in Klaviyo's error shape, and
// one run from catalog to low-inventory email.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import request from 'supertest';
import {
  AccountsApi,
  ApiKeySession,
  CatalogsApi,
  EventsApi,
  ProfilesApi,
  RetryWithExponentialBackoff,
} from 'klaviyo-api';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { freePort } from './helpers/free-port.ts';
import { createStore } from '../src/stores/create-store.ts';
import { createApp } from '../src/web/app.ts';
import { processTriggerQueue } from '../src/flows/enter-flows.ts';
import { runFlowTick } from '../src/flows/tick.ts';
import { createMessageDelivery } from '../src/jobs/deliver-messages.ts';
import { enableCustomTrigger } from '../src/support/custom-catalog-trigger.ts';
import { klaviyoTriggerPreset } from '../connectors/klaviyo-format/conventions.ts';
import { listBackInStockRequests } from '../src/db/repositories/back-in-stock.ts';
import type { StoreId } from '../src/model/ids.ts';

// Bodies are written as Klaviyo's client documents them; its enum types are plain strings on the wire.
const doc = (x: unknown) => x as never;
const id = (externalId: string) => `$custom:::$default:::${externalId}`;

type KlaviyoErrorBody = { errors: Array<{ id: string; status: number; code: string; title: string; detail: string; source: { pointer?: string; parameter?: string } }> };

/** The client rejects with axios' error; Klaviyo's document is its response body. */
async function refusal(call: Promise<unknown>): Promise<{ status: number; body: KlaviyoErrorBody }> {
  try {
    await call;
  } catch (err) {
    const e = err as { response?: { status: number; data: KlaviyoErrorBody } };
    if (e.response) return { status: e.response.status, body: e.response.data };
    throw err;
  }
  assert.fail('the call was accepted');
}

/** A session like the client's own, sending another revision. */
class OtherRevisionSession extends ApiKeySession {
  override applyToRequest(config: Parameters<ApiKeySession['applyToRequest']>[0]): void {
    super.applyToRequest(config);
    config.headers!['revision'] = '2019-01-01';
  }
}

describe('Klaviyo-compatible API through the klaviyo-api client', () => {
  let rt: TestRuntime;
  let app: ReturnType<typeof createApp>;
  let server: Server;
  let basePath: string;
  let storeId: StoreId;
  let privateKey: string;
  const noRetry = () => new RetryWithExponentialBackoff({ numRetries: 0 });
  const apis = (key: string, session = new ApiKeySession(key, noRetry())) => {
    const out = { events: new EventsApi(session), profiles: new ProfilesApi(session), catalogs: new CatalogsApi(session), accounts: new AccountsApi(session) };
    for (const api of Object.values(out)) api.basePath = basePath;
    return out;
  };
  const count = async (table: string) => (await rt.db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE store_id = $1`, [storeId])).rows[0]!.n;
  const event = (metric: string, email: string, properties: Record<string, unknown>, uniqueId: string) =>
    doc({
      data: {
        type: 'event',
        attributes: {
          properties,
          uniqueId,
          value: 59,
          metric: { data: { type: 'metric', attributes: { name: metric } } },
          profile: { data: { type: 'profile', attributes: { email } } },
        },
      },
    });
  const item = (externalId: string, title: string) =>
    ({ type: 'catalog-item', attributes: { externalId, title, price: 59, url: `https://shop.example.com/${externalId}`, imageFullUrl: `https://shop.example.com/${externalId}.jpg`, integrationType: '$custom', catalogType: '$default' } });
  const variant = (externalId: string, itemId: string, inventoryQuantity: number) =>
    ({ type: 'catalog-variant', attributes: { externalId, title: externalId, sku: externalId.toUpperCase(), price: 59, inventoryQuantity, integrationType: '$custom', catalogType: '$default' }, relationships: { item: { data: { type: 'catalog-item', id: id(itemId) } } } });

  before(async () => {
    rt = await testRuntime();
    app = createApp(rt);
    const port = await freePort();
    server = app.listen(port, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    basePath = `http://127.0.0.1:${port}`;
    const created = await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: 'shop.example.com' });
    storeId = created.store.id;
    privateKey = created.privateKey;
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rt.dispose();
  });

  test('catalog items and variants: create, get, list, update, and the four bulk jobs', async () => {
    const { catalogs } = apis(privateKey);
    const made = await catalogs.createCatalogItem(doc({ data: item('mug', 'Mug') }));
    assert.equal(made.response.status, 201);
    assert.equal(made.body.data.id, id('mug'));
    const v = await catalogs.createCatalogVariant(doc({ data: variant('mug-blue', 'mug', 7) }));
    assert.equal(v.response.status, 201);
    assert.equal(v.body.data.attributes.inventoryQuantity, 7);

    const again = await refusal(catalogs.createCatalogItem(doc({ data: item('mug', 'Mug') })));
    assert.equal(again.status, 409);
    assert.equal(again.body.errors[0]!.code, 'conflict');

    const renamed = await catalogs.updateCatalogItem(id('mug'), doc({ data: { type: 'catalog-item', id: id('mug'), attributes: { title: 'Big Mug' } } }));
    assert.equal(renamed.body.data.attributes.title, 'Big Mug');
    assert.equal((await catalogs.getCatalogItem(id('mug'))).body.data.attributes.title, 'Big Mug');
    assert.equal((await catalogs.getCatalogVariant(id('mug-blue'))).body.data.attributes.inventoryQuantity, 7);

    const job = await catalogs.bulkCreateCatalogItems(doc({ data: { type: 'catalog-item-bulk-create-job', attributes: { items: { data: [item('cap', 'Cap'), item('sock', 'Sock')] } } } }));
    assert.equal(job.response.status, 202);
    assert.equal(job.body.data.attributes.status, 'complete');
    await catalogs.bulkUpdateCatalogItems(doc({ data: { type: 'catalog-item-bulk-update-job', attributes: { items: { data: [{ type: 'catalog-item', id: id('cap'), attributes: { title: 'Red Cap' } }] } } } }));
    await catalogs.bulkCreateCatalogVariants(doc({ data: { type: 'catalog-variant-bulk-create-job', attributes: { variants: { data: [variant('cap-one', 'cap', 3), variant('sock-pair', 'sock', 12)] } } } }));
    await catalogs.bulkUpdateCatalogVariants(doc({ data: { type: 'catalog-variant-bulk-update-job', attributes: { variants: { data: [{ type: 'catalog-variant', id: id('sock-pair'), attributes: { inventoryQuantity: 11 } }] } } } }));

    const items = (await catalogs.getCatalogItems()).body.data.map((i) => [i.id, i.attributes.title]).sort();
    assert.deepEqual(items, [[id('cap'), 'Red Cap'], [id('mug'), 'Big Mug'], [id('sock'), 'Sock']]);
    const variants = (await catalogs.getCatalogVariants()).body.data.map((x) => [x.id, x.attributes.inventoryQuantity]).sort();
    assert.deepEqual(variants, [[id('cap-one'), 3], [id('mug-blue'), 7], [id('sock-pair'), 11]]);

    const missing = await refusal(catalogs.getCatalogItem(id('nothing')));
    assert.equal(missing.status, 404);
    assert.equal(missing.body.errors[0]!.code, 'not_found');
  });

  test('profiles: create, duplicate, filter by email, update, get; subscriptions set consent', async () => {
    const { profiles } = apis(privateKey);
    const created = await profiles.createProfile(doc({ data: { type: 'profile', attributes: { email: 'Ana@Example.com', firstName: 'Ana', properties: { vip: true } } } }));
    assert.equal(created.response.status, 201);
    const pid = created.body.data.id as string;
    assert.equal(created.body.data.attributes.email, 'ana@example.com');

    const dup = await refusal(profiles.createProfile(doc({ data: { type: 'profile', attributes: { email: 'ana@example.com' } } })));
    assert.equal(dup.status, 409);
    assert.equal(dup.body.errors[0]!.code, 'duplicate_profile');
    assert.equal((dup.body.errors[0] as unknown as { meta: { duplicate_profile_id: string } }).meta.duplicate_profile_id, pid);

    const found = await profiles.getProfiles({ filter: 'equals(email,"ana@example.com")' });
    assert.deepEqual(found.body.data.map((p) => p.id), [pid]);
    const updated = await profiles.updateProfile(pid, doc({ data: { type: 'profile', id: pid, attributes: { lastName: 'Lima', phoneNumber: '+14155550100' } } }));
    assert.equal(updated.body.data.attributes.lastName, 'Lima');
    const got = await profiles.getProfile(pid);
    assert.equal(got.body.data.attributes.phoneNumber, '+14155550100');
    assert.equal(got.body.data.attributes.firstName, 'Ana');

    const sub = await profiles.bulkSubscribeProfiles(doc({
      data: {
        type: 'profile-subscription-bulk-create-job',
        attributes: { profiles: { data: [{ type: 'profile', attributes: { email: 'ana@example.com', subscriptions: { email: { marketing: { consent: 'SUBSCRIBED' } } } } }] } },
        relationships: { list: { data: { type: 'list', id: 'newsletter' } } },
      },
    }));
    assert.equal(sub.response.status, 202);
    const row = (await rt.db.pool.query<{ email_consent: string }>('SELECT email_consent FROM profiles WHERE id = $1', [pid])).rows[0]!;
    assert.equal(row.email_consent, 'subscribed');
  });

  test('back-in-stock subscriptions are kept per person and variant', async () => {
    const { catalogs } = apis(privateKey);
    await catalogs.createCatalogItem(doc({ data: item('lamp', 'Lamp') }));
    await catalogs.createCatalogVariant(doc({ data: variant('lamp-white', 'lamp', 0) }));
    const body = doc({
      data: {
        type: 'back-in-stock-subscription',
        attributes: { channels: ['EMAIL'], profile: { data: { type: 'profile', attributes: { email: 'waiter@example.com' } } } },
        relationships: { variant: { data: { type: 'catalog-variant', id: id('lamp-white') } } },
      },
    });
    const res = await catalogs.createBackInStockSubscription(body);
    assert.equal(res.response.status, 202);
    await catalogs.createBackInStockSubscription(body);
    const rows = await listBackInStockRequests(rt.db.pool, storeId);
    assert.equal(rows.length, 1, 'asking twice renews the one request');
    assert.deepEqual(rows[0]!.channels, ['email']);
    assert.ok(rows[0]!.expiresAt > rows[0]!.createdAt);
    assert.equal(rows[0]!.notifiedAt, null);
  });

  test('bad input: a wrong key, a malformed body, an unknown revision, an unserved endpoint; each changes nothing', async () => {
    const eventsBefore = await count('events');
    const profilesBefore = await count('profiles');
    const good = event('Viewed Product', 'nobody@example.com', { ProductID: 'mug' }, 'bad-1');

    const wrongKey = await refusal(apis('sk_wrong_key').events.createEvent(good));
    assert.equal(wrongKey.status, 401);
    assert.equal(wrongKey.body.errors[0]!.code, 'not_authenticated');
    assert.ok(wrongKey.body.errors[0]!.id);

    const malformed = await refusal(apis(privateKey).events.createEvent(event('', 'nobody@example.com', {}, 'bad-2')));
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.errors[0]!.code, 'invalid');
    assert.equal(malformed.body.errors[0]!.source.pointer, '/data/attributes/metric/data/attributes/name');

    const badEmail = await refusal(apis(privateKey).events.createEvent(event('Viewed Product', 'not-an-email', {}, 'bad-3')));
    assert.equal(badEmail.status, 400);
    assert.equal(badEmail.body.errors[0]!.source.pointer, '/data/attributes/profile/data/attributes/email');

    const revision = await refusal(apis(privateKey, new OtherRevisionSession(privateKey, noRetry())).events.createEvent(good));
    assert.equal(revision.status, 400);
    assert.equal(revision.body.errors[0]!.code, 'invalid');
    assert.equal(revision.body.errors[0]!.source.parameter, 'revision');
    assert.match(revision.body.errors[0]!.detail, /2019-01-01.*2026-07-15/);

    const unserved = await refusal(apis(privateKey).accounts.getAccounts());
    assert.equal(unserved.status, 404);
    assert.equal(unserved.body.errors[0]!.code, 'not_found');
    assert.match(unserved.body.errors[0]!.detail, /GET \/api\/accounts.*Supported: POST \/api\/events\//);

    const notJson = await request(app).post('/api/events/').set({ Authorization: `Klaviyo-API-Key ${privateKey}`, revision: '2026-07-15', 'Content-Type': 'application/json' }).send('{"data":');
    assert.equal(notJson.status, 400);
    assert.equal(notJson.body.errors[0].code, 'parse_error');

    assert.equal(await count('events'), eventsBefore);
    assert.equal(await count('profiles'), profilesBefore);
  });

  test('end to end: catalog and viewers through the client, a low-inventory flow, stock lowered through the client, the email sent', async () => {
    const { catalogs, events } = apis(privateKey);
    await catalogs.createCatalogItem(doc({ data: item('shirt', 'Linen Shirt') }));
    await catalogs.createCatalogVariant(doc({ data: variant('shirt-s', 'shirt', 10) }));

    const viewed = await events.createEvent(event('Viewed Product', 'viewer@example.com', { ProductID: 'shirt', VariantID: 'shirt-s', Price: 59, ProductName: 'Linen Shirt' }, 'e2e-view-1'));
    assert.equal(viewed.response.status, 202);
    assert.equal(viewed.response.data, '');
    await events.bulkCreateEvents(doc({
      data: {
        type: 'event-bulk-create-job',
        attributes: {
          'eventsBulkCreate': {
            data: [
              {
                type: 'event-bulk-create',
                attributes: {
                  profile: { data: { type: 'profile', attributes: { email: 'buyer@example.com' } } },
                  events: {
                    data: [
                      { type: 'event', attributes: { properties: { ProductID: 'shirt', Price: 59 }, metric: { data: { type: 'metric', attributes: { name: 'Viewed Product' } } }, uniqueId: 'e2e-view-2' } },
                      { type: 'event', attributes: { properties: { ProductID: 'shirt', VariantID: 'shirt-s', Price: 59 }, metric: { data: { type: 'metric', attributes: { name: 'Ordered Product' } } }, uniqueId: 'e2e-order-1', value: 59 } },
                    ],
                  },
                },
              },
            ],
          },
        },
      },
    }));
    const stored = (await rt.db.pool.query<{ metric: string; product: string }>(
      `SELECT e.metric, i.product_external_id AS product FROM events e JOIN event_items i ON i.store_id = e.store_id AND i.event_id = e.id
       WHERE e.store_id = $1 AND e.unique_id LIKE 'e2e-%' ORDER BY e.unique_id`, [storeId])).rows;
    assert.deepEqual(stored, [{ metric: 'Ordered Product', product: 'shirt' }, { metric: 'Viewed Product', product: 'shirt' }, { metric: 'Viewed Product', product: 'shirt' }]);

    // Support turns the custom-catalog trigger on with the Klaviyo-format preset, no field mapping.
    const { orderedProduct, viewedProduct } = klaviyoTriggerPreset();
    const enabled = await enableCustomTrigger(rt.db.pool, storeId, { orderedProduct, viewedProduct }, 'support@storeflow.test');
    assert.equal(enabled.ok, true, JSON.stringify(enabled.report));

    const flow = await request(app).post('/api/v1/flows').set({ Authorization: `Bearer ${privateKey}` })
      .send({ preset: 'low-inventory', status: 'live', trigger: { level: 'product', threshold: 5, metrics: ['Viewed Product'], lookbackDays: 30, excludePurchasedWithinDays: 30 } });
    assert.equal(flow.status, 201, JSON.stringify(flow.body));

    const lowered = await catalogs.updateCatalogVariant(id('shirt-s'), doc({ data: { type: 'catalog-variant', id: id('shirt-s'), attributes: { inventoryQuantity: 3 } } }));
    assert.equal(lowered.body.data.attributes.inventoryQuantity, 3);

    await processTriggerQueue(rt.db.pool, { now: new Date() });
    await runFlowTick({ pool: rt.db.pool, config: rt.config, secrets: rt.secrets, logger: rt.logger }, { now: new Date() });
    const delivery = createMessageDelivery(rt);
    await delivery.run();
    delivery.close();
    const messages = (await rt.db.pool.query<{ recipient: string; status: string; subject: string; html: string }>(
      'SELECT recipient, status, subject, html FROM messages WHERE flow_id = $1', [flow.body.id])).rows;
    assert.deepEqual(messages.map((m) => [m.recipient, m.status]), [['viewer@example.com', 'sent']], 'the viewer, not the buyer');
    assert.equal(messages[0]!.subject, 'Almost gone: Linen Shirt');
    assert.match(messages[0]!.html, /Only 3 left/);
  });
});
