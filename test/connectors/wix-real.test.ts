// Wix's own documented event bodies (test/fixtures/wix/real, sources in its SOURCES.md) through the
// shared contract: wrapped in the documented JWT envelope, signed, posted to the route, drained by
// the worker against the API stub, and checked in the stored rows.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createWixConnector } from '../../connectors/wix/wix-connector.ts';
import { runConnectorContract, type SignedDelivery } from './contract.ts';
import { defaultState, installWixStub, v1Product } from '../fixtures/wix/api-stub.ts';
import { INSTANCE } from '../fixtures/wix/events.ts';
import { signWixJwt, wixEnv, wixRequest, WIX_APP_ID, WIX_APP_SECRET, WIX_PUBLIC_KEY } from '../fixtures/wix/sign.ts';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'wix', 'real');
const documented = (file: string) => JSON.parse(readFileSync(join(DIR, file), 'utf8')) as { eventType: string; data: unknown };

const kinds: Record<string, SignedDelivery['kinds']> = {
  'v1-product-changed.json': ['catalog'],
  'v1-inventory-variants-changed.json': ['catalog'],
  'v1-inventory-item-changed.json': ['catalog'],
  'v3-product-updated.json': ['catalog'],
  'v3-inventory-item-updated.json': ['catalog'],
  'v1-collection-changed.json': ['ignored'],
  'v3-brand-updated.json': ['ignored'],
};
assert.deepEqual(Object.keys(kinds).sort(), readdirSync(DIR).filter((f) => f.endsWith('.json')).sort(), 'every documented payload is in the list');

const state = defaultState();
// The documented Product Changed names this product.
state.v1Products.push(v1Product('a60fef92-ee29-070f-a7ed-9bbc3cc1c2f4', 'Documented Product', [{ id: '00000000-0000-0000-0000-000000000000', quantity: 6, sku: 'DOC-1' }]));

runConnectorContract({
  platform: 'wix',
  connector: () => createWixConnector({ appId: WIX_APP_ID, appSecret: WIX_APP_SECRET, publicKey: WIX_PUBLIC_KEY }),
  env: wixEnv,
  store: { domain: INSTANCE, externalId: INSTANCE },
  deliveries: Object.entries(kinds).map(([file, k]) => {
    const e = documented(file);
    return { name: `documented ${file}`, topic: e.eventType, kinds: k, request: () => wixRequest(signWixJwt({ eventType: e.eventType, instanceId: INSTANCE, data: e.data })) };
  }),
  unsigned: (req) => ({ headers: req.headers, rawBody: Buffer.from(req.rawBody.toString('utf8').replace(/[^.]+$/, '')) }),
  async setup() {
    const restore = installWixStub(state);
    return async () => restore();
  },
  async afterDrain(rt, store) {
    const { rows } = await rt.db.pool.query<{ external_id: string; title: string }>('SELECT external_id, title FROM products WHERE store_id = $1 ORDER BY title', [store.id]);
    assert.deepEqual(rows.map((r) => [r.external_id, r.title]), [
      ['a60fef92-ee29-070f-a7ed-9bbc3cc1c2f4', 'Documented Product'],
      ['7e4f023f-53d2-70da-30bb-31662b3c095f', 'Linen Shirt'],
      ['c5a1d6e2-0f5b-4c7e-a9d3-2b8e4f1a6c90', 'Wool Scarf'],
    ]);
  },
});
