// The store's timezone and currency: set on the store settings page, used for every date and
// price the merchant app shows, and for timing shoppers whose own timezone is unknown. A custom
// catalog's onboarding says how to get the low-inventory trigger enabled.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Express } from 'express';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import type { Agent } from './helpers/browser-client.ts';
import { merchantStore } from './helpers/merchant-store.ts';
import { createApp } from '../src/web/app.ts';
import { ingestCatalog } from '../src/ingest/ingest-catalog.ts';
import { ingestProfiles } from '../src/ingest/ingest-profiles.ts';
import { loadProfiles } from '../src/db/repositories/flow-facts.ts';
import type { Store } from '../src/model/store.ts';
import type { ExternalProductId } from '../src/model/ids.ts';

let rt: TestRuntime;
let app: Express;
let store: Store;
let agent: Agent;
let csrf: string;

before(async () => {
  rt = await testRuntime();
  app = createApp(rt);
  ({ store, agent, csrf } = await merchantStore(rt, app, 'locale.example'));
  await ingestCatalog(rt.db.pool, store.id, [
    { externalId: 'mug' as ExternalProductId, title: 'Blue Mug', url: 'https://locale.example/mug', imageUrl: null, price: 12.5, inventoryTracking: 'product', inventoryQuantity: 9, variants: [] },
  ]);
});

after(async () => rt.dispose());

test('a wrong timezone or currency is refused with what to do, and a right one is saved', async () => {
  const bad = await agent.post('/app/settings/store').type('form').send({ _csrf: csrf, timezone: 'Mars/Olympus', currency: 'XXQ' });
  assert.equal(bad.status, 422);
  assert.match(bad.text, /id="timezone-error">choose your store’s timezone from the list/);
  assert.match(bad.text, /id="currency-error">choose your store’s currency from the list/);
  const ok = await agent.post('/app/settings/store').type('form').send({ _csrf: csrf, timezone: 'Europe/Berlin', currency: 'EUR' });
  assert.equal(ok.status, 303);
  const page = await agent.get('/app/settings/store').expect(200);
  assert.match(page.text, /<option value="Europe\/Berlin" selected>/);
  assert.match(page.text, /<option value="EUR" selected>/);
});

test('prices show in the store currency and dates in the store timezone', async () => {
  const catalog = await agent.get('/app/catalog').expect(200);
  assert.match(catalog.text, /€12\.50/);
  const href = /href="(\/app\/catalog\/[0-9a-f-]{36})"/.exec(catalog.text)![1]!;
  const product = await agent.get(href).expect(200);
  assert.match(product.text, /€12\.50/);
  assert.match(product.text, /\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d (CET|CEST)/, 'the stock history in Berlin time');
  assert.doesNotMatch(product.text, /\d{4}-\d\d-\d\dT\d\d:\d\d/, 'no raw ISO timestamps');
});

test('a shopper without a timezone is timed by the store’s', async () => {
  await ingestProfiles(rt.db.pool, store.id, [{ email: 'nozone@locale.example' }, { email: 'ny@locale.example', timezone: 'America/New_York' }]);
  const { rows } = await rt.db.pool.query<{ id: string; email: string }>('SELECT id, email FROM profiles WHERE store_id = $1', [store.id]);
  const facts = await loadProfiles(rt.db.pool, rows.map((r) => ({ storeId: store.id, id: r.id })) as never);
  const zoneOf = (email: string) => facts.get(rows.find((r) => r.email === email)!.id)?.timezone;
  assert.equal(zoneOf('nozone@locale.example'), 'Europe/Berlin');
  assert.equal(zoneOf('ny@locale.example'), 'America/New_York');
});

test('a custom catalog’s onboarding says the low-inventory trigger needs support, and what to send them', async () => {
  const home = await agent.get('/app').expect(200);
  assert.match(home.text, /id="check-low-inventory"/);
  assert.match(home.text, /Ask support to enable the low-inventory trigger/);
  assert.match(home.text, new RegExp(`store id \\(${store.id}\\)`));
  await rt.db.pool.query('UPDATE stores SET custom_low_inventory_enabled = true WHERE id = $1', [store.id]);
  const after = await agent.get('/app').expect(200);
  assert.match(after.text, /Low-inventory trigger enabled/);
});
