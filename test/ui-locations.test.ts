// The merchant app's stock locations page (a CSRF-protected form) and the sell-out forecast on
// the catalog page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Express } from 'express';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { signIn } from './helpers/browser-client.ts';
import { createApp } from '../src/web/app.ts';
import { createStore } from '../src/stores/create-store.ts';
import { issueMerchantLogin } from '../src/accounts/merchant-accounts.ts';
import { ingestCatalog } from '../src/ingest/ingest-catalog.ts';
import { ingestEvents } from '../src/ingest/ingest-events.ts';
import { findProductByExternalId } from '../src/db/repositories/catalog.ts';
import type { ExternalProductId, ExternalVariantId } from '../src/model/ids.ts';
import type { Store } from '../src/model/store.ts';

let rt: TestRuntime;
let app: Express;
let store: Store;
const login = { email: 'owner@locations.example', password: '' };

before(async () => {
  rt = await testRuntime();
  app = createApp(rt);
  store = (await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: 'locations.example' })).store;
  login.password = (await issueMerchantLogin(rt.db.pool, store.id, login.email)).password;
  await ingestCatalog(rt.db.pool, store.id, [{
    externalId: 'lamp' as ExternalProductId,
    title: 'Desk Lamp',
    inventoryTracking: 'variant',
    variants: [{
      externalId: 'lamp-1' as ExternalVariantId,
      inventoryQuantity: 12,
      locationLevels: [{ locationId: 'wh', locationName: 'Warehouse', available: 9 }, { locationId: 'shop', locationName: 'Shop counter', available: 3 }],
    }],
  }]);
  // 7 sold over the last week: one a day.
  await ingestEvents(rt.db.pool, store.id, [{
    metric: 'Ordered Product', profile: { email: 'buyer@example.com' }, time: new Date(Date.now() - 86_400_000), value: 70, properties: {}, uniqueId: 'o1',
    items: [{ productExternalId: 'lamp' as ExternalProductId, variantExternalId: 'lamp-1' as ExternalVariantId, quantity: 7, price: 10 }],
  }]);
});

after(async () => rt.dispose());

test('the locations page lists each location with its stock; unticking one recounts; a post without the CSRF token is refused', async () => {
  const { agent, csrf } = await signIn(app, 'app', login.email, login.password);
  const page = await agent.get('/app/settings/locations').expect(200);
  assert.match(page.text, /name="counted" value="shop" checked> Shop counter/);
  assert.match(page.text, /name="counted" value="wh" checked> Warehouse/);

  const forged = await agent.post('/app/settings/locations').type('form').send({ counted: 'wh' });
  assert.equal(forged.status, 403);
  assert.equal((await findProductByExternalId(rt.db.pool, store.id, 'lamp'))?.inventoryQuantity, 12);

  const saved = await agent.post('/app/settings/locations').type('form').send({ _csrf: csrf, counted: 'wh' });
  assert.equal(saved.status, 200);
  assert.match(saved.text, /Saved\. 2 stock figures were recounted\./);
  assert.match(saved.text, /name="counted" value="shop" > Shop counter/);
  assert.equal((await findProductByExternalId(rt.db.pool, store.id, 'lamp'))?.inventoryQuantity, 9);
});

test('the catalog page shows hours to sell-out at the last week\'s pace', async () => {
  const { agent } = await signIn(app, 'app', login.email, login.password);
  const page = await agent.get('/app/catalog').expect(200);
  // 9 counted units at one a day.
  assert.match(page.text, /~216 h <span class="muted">\(1\/day\)<\/span>/);
});
