// A second attacker's look at the hardened edges: what the first round of fixes left open.
// Each test names the hole it closes; see docs/security-notes/second-look.md.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import type { Express } from 'express';
import { SignJWT } from 'jose';
import { createApp } from '../src/web/app.ts';
import { createStore } from '../src/stores/create-store.ts';
import { saveInstallation } from '../src/db/repositories/stores.ts';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { ENV as SHOPIFY_ENV } from './fixtures/shopify/kit.ts';
import { launchQuery, sessionToken } from './fixtures/shopify/session-token.ts';
import { CLIENT_ID, CLIENT_SECRET, STORE_HASH } from './fixtures/bigcommerce/payloads.ts';
import { wixEnv } from './fixtures/wix/sign.ts';
import { signedInstance } from './fixtures/wix/signed-instance.ts';

const WIX_SITE = '5e0c1b2a-3948-4d7e-8f9a-0b1c2d3e4f5a';
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Spellings of the same signature that a lenient base64url decoder reads as the same bytes: the
 * unused low bits of the last character, padding, and characters the decoder skips.
 */
function respellings(signature: string, { urlSafeOnly }: { urlSafeOnly: boolean }): string[] {
  const last = B64URL.indexOf(signature.at(-1)!);
  const lowBits = [1, 2, 3].map((d) => signature.slice(0, -1) + B64URL[(last & ~3) | ((last + d) & 3)]);
  return urlSafeOnly ? lowBits : [...lowBits, `${signature}=`, `${signature}==`, `${signature}!`, `${signature} `];
}

const appCookie = (res: request.Response): string | undefined =>
  ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('sf_app='));

describe('security second look', () => {
  let rt: TestRuntime;
  let app: Express;

  before(async () => {
    rt = await testRuntime({ env: { ...SHOPIFY_ENV, ...wixEnv, BIGCOMMERCE_CLIENT_ID: CLIENT_ID, BIGCOMMERCE_CLIENT_SECRET: CLIENT_SECRET } });
    app = createApp(rt);
    const wix = await createStore(rt.db.pool, rt.secrets, { platform: 'wix', domain: WIX_SITE });
    await saveInstallation(rt.db.pool, wix.store.id, { accessTokenSealed: null, scopes: [], externalId: WIX_SITE });
    const bc = await createStore(rt.db.pool, rt.secrets, { platform: 'bigcommerce', domain: 'second-look.example.com' });
    await saveInstallation(rt.db.pool, bc.store.id, { accessTokenSealed: null, scopes: [], externalId: STORE_HASH });
    await createStore(rt.db.pool, rt.secrets, { platform: 'shopify', domain: 'storeflow-test.myshopify.com' });
  });
  after(async () => rt?.dispose());

  describe('single-use launch proofs', () => {
    const bcPayload = async () => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ user: { id: 24654, email: 'merchant@example.com' }, owner: { id: 24654, email: 'merchant@example.com' }, url: '/' })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setIssuer('bc')
        .setAudience(CLIENT_ID)
        .setSubject(`stores/${STORE_HASH}`)
        .setIssuedAt(now - 2)
        .setExpirationTime(now + 3600)
        .setJti(crypto.randomUUID())
        .sign(new TextEncoder().encode(CLIENT_SECRET));
    };
    /** The token with its last dot-separated part (the signature) spelled another way. */
    const respelledJwts = (jwt: string) => {
      const cut = jwt.lastIndexOf('.');
      return respellings(jwt.slice(cut + 1), { urlSafeOnly: false }).map((s) => `${jwt.slice(0, cut + 1)}${s}`);
    };

    test('a BigCommerce load payload respelled (same signature bytes) is the same payload: refused as a replay', async () => {
      const jwt = await bcPayload();
      assert.equal((await request(app).get('/bigcommerce/load').query({ signed_payload_jwt: jwt })).status, 303);
      for (const again of respelledJwts(jwt)) {
        const res = await request(app).get('/bigcommerce/load').query({ signed_payload_jwt: again });
        assert.equal(res.status, 401, `respelled ${JSON.stringify(again.slice(-4))}: ${res.status}`);
        assert.equal(appCookie(res), undefined);
      }
    });

    test('a Shopify launch id_token respelled is the same token: refused as a replay', async () => {
      const token = sessionToken();
      assert.equal((await request(app).get('/app').query(launchQuery(token))).status, 303);
      for (const again of respelledJwts(token)) {
        const res = await request(app).get('/app').query(launchQuery(again));
        assert.equal(res.status, 401, `respelled ${JSON.stringify(again.slice(-4))}: ${res.status}`);
        assert.equal(appCookie(res), undefined);
      }
    });

    test('a Wix dashboard instance respelled is the same instance: refused as a replay', async () => {
      const instance = signedInstance(WIX_SITE);
      assert.equal((await request(app).get('/wix/dashboard').query({ instance })).status, 303);
      const [signature, data] = instance.split('.') as [string, string];
      for (const s of respellings(signature, { urlSafeOnly: true })) {
        const res = await request(app).get('/wix/dashboard').query({ instance: `${s}.${data}` });
        assert.equal(res.status, 401, `respelled ${s.slice(-2)}: ${res.status}`);
        assert.equal(appCookie(res), undefined);
      }
    });
  });
});
