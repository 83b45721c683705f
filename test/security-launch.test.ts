// Platform sign-ins as an attacker tries them: a public Wix instance id at the install callback,
// a launch link replayed, an old or expired one, and someone else's launch opened in a browser
// already signed in. Each either starts no session, or leaves the browser signed in as exactly
// the user and store the proof names and nothing of the session before.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import type { Express } from 'express';
import { SignJWT } from 'jose';
import { createApp } from '../src/web/app.ts';
import { createStore } from '../src/stores/create-store.ts';
import { findStoreByShop, saveInstallation } from '../src/db/repositories/stores.ts';
import type { Store } from '../src/model/store.ts';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { ENV as SHOPIFY_ENV } from './fixtures/shopify/kit.ts';
import { launchQuery, sessionToken } from './fixtures/shopify/session-token.ts';
import { CLIENT_ID, CLIENT_SECRET, STORE_HASH } from './fixtures/bigcommerce/payloads.ts';
import { hs256WithPublicKey, signWixJwt, unsignedJwt, wixEnv, wixRequest } from './fixtures/wix/sign.ts';
import { signedInstance } from './fixtures/wix/signed-instance.ts';
import { defaultState, installWixStub, type StubState } from './fixtures/wix/api-stub.ts';
import * as ev from './fixtures/wix/events.ts';
import { createWixVerifier } from '../connectors/wix/verify-webhook.ts';

const VICTIM_SITE = '6f1d2c3b-4a59-4e8f-9a0b-1c2d3e4f5a6b';
const ATTACKER_SITE = '7a2e3d4c-5b6a-4f9e-8b1c-2d3e4f5a6b7c';
const OTHER_HASH = 'z9y8x7w6vu';

type Res = request.Response;
const appCookie = (res: Res): string | undefined => ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('sf_app='));
const cookieOf = (res: Res): string => {
  const c = appCookie(res);
  assert.ok(c, 'a session cookie is set');
  return c.split(';')[0]!;
};

/** A signed_payload_jwt signed with jose, with the claims a test needs to vary. */
async function bcPayload(o: { storeHash?: string; userId?: number; email?: string; iatOffsetS?: number; expOffsetS?: number } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const iat = now + (o.iatOffsetS ?? -2);
  return new SignJWT({
    user: { id: o.userId ?? 24654, email: o.email ?? 'merchant@example.com', locale: 'en-US' },
    owner: { id: 24654, email: 'merchant@example.com' },
    url: '/',
    channel_id: null,
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer('bc')
    .setAudience(CLIENT_ID)
    .setSubject(`stores/${o.storeHash ?? STORE_HASH}`)
    .setIssuedAt(iat)
    .setNotBefore(iat - 5)
    .setExpirationTime(now + (o.expOffsetS ?? 86_400))
    .setJti(crypto.randomUUID())
    .sign(new TextEncoder().encode(CLIENT_SECRET));
}

describe('platform sign-in attacks', () => {
  let rt: TestRuntime;
  let app: Express;
  let wix: StubState;
  let restore: () => void;
  const stores: Record<string, Store> = {};
  const sessions = async () => (await rt.db.pool.query<{ store_id: string; subject: string | null; actor: string }>('SELECT store_id, subject, actor FROM web_sessions WHERE store_id IS NOT NULL')).rows;

  before(async () => {
    rt = await testRuntime({ env: { ...SHOPIFY_ENV, ...wixEnv, BIGCOMMERCE_CLIENT_ID: CLIENT_ID, BIGCOMMERCE_CLIENT_SECRET: CLIENT_SECRET } });
    app = createApp(rt);
    wix = defaultState();
    wix.instances.add(VICTIM_SITE).add(ATTACKER_SITE);
    restore = installWixStub(wix);
    const make = async (key: string, platform: Store['platform'], domain: string, externalId: string) => {
      const { store } = await createStore(rt.db.pool, rt.secrets, { platform, domain });
      stores[key] = await saveInstallation(rt.db.pool, store.id, { accessTokenSealed: null, scopes: [], externalId });
    };
    await make('victimWix', 'wix', VICTIM_SITE, VICTIM_SITE);
    await make('bcA', 'bigcommerce', 'a-store.example.com', STORE_HASH);
    await make('bcB', 'bigcommerce', 'b-store.example.com', OTHER_HASH);
    const { store } = await createStore(rt.db.pool, rt.secrets, { platform: 'shopify', domain: 'storeflow-test.myshopify.com' });
    stores.shop = store;
  });
  after(async () => {
    restore();
    await rt.dispose();
  });

  async function startWixInstall(): Promise<{ state: string; cookie: string }> {
    const res = await request(app).get('/wix/install');
    return { state: new URL(res.headers.location!).searchParams.get('state')!, cookie: /sf_wix_install=[\w-]+/.exec(String(res.headers['set-cookie']))![0] };
  }

  describe('Wix install callback', () => {
    test('a victim site’s public instance id at /wix/callback gets no session, even with a valid state and a code for the attacker’s own site', async () => {
      const before = (await sessions()).length;
      const { state, cookie } = await startWixInstall();
      wix.installCodes.set('attacker-code', { instanceId: ATTACKER_SITE });
      const res = await request(app).get('/wix/callback').set('Cookie', cookie).query({ instanceId: VICTIM_SITE, state, code: 'attacker-code' });
      assert.equal(res.status, 401);
      assert.equal(appCookie(res), undefined);
      assert.equal((await sessions()).length, before);
      // The old way in, an instance id with no code (a client-credentials token can be minted for any installed site), is not a sign-in.
      const again = await startWixInstall();
      const bare = await request(app).get('/wix/callback').set('Cookie', again.cookie).query({ instanceId: VICTIM_SITE, state: again.state });
      assert.equal(bare.status, 400);
      assert.equal(appCookie(bare), undefined);
      assert.equal((await sessions()).length, before);
    });

    test('a code Wix issued to another app, or a made-up one, signs nobody in', async () => {
      const { state, cookie } = await startWixInstall();
      wix.installCodes.set('other-app-code', { instanceId: VICTIM_SITE, appId: '00000000-0000-4000-8000-000000000000' });
      const res = await request(app).get('/wix/callback').set('Cookie', cookie).query({ instanceId: VICTIM_SITE, state, code: 'other-app-code' });
      assert.equal(res.status, 401);
      assert.equal(appCookie(res), undefined);
    });

    test('a state (and its cookie) works once: replayed with a fresh code it is refused', async () => {
      const { state, cookie } = await startWixInstall();
      wix.installCodes.set('first', { instanceId: ATTACKER_SITE });
      const ok = await request(app).get('/wix/callback').set('Cookie', cookie).query({ instanceId: ATTACKER_SITE, state, code: 'first' });
      assert.equal(ok.status, 200, ok.text);
      assert.ok(appCookie(ok));
      assert.ok(await findStoreByShop(rt.db.pool, 'wix', ATTACKER_SITE));
      wix.installCodes.set('second', { instanceId: ATTACKER_SITE });
      const replay = await request(app).get('/wix/callback').set('Cookie', cookie).query({ instanceId: ATTACKER_SITE, state, code: 'second' });
      assert.equal(replay.status, 401);
      assert.equal(appCookie(replay), undefined);
      assert.ok(wix.installCodes.has('second'), 'refused before the code was even exchanged');
    });

    test('a state from another browser (its cookie missing) is refused', async () => {
      const { state } = await startWixInstall();
      const other = await startWixInstall();
      wix.installCodes.set('x', { instanceId: ATTACKER_SITE });
      const res = await request(app).get('/wix/callback').set('Cookie', other.cookie).query({ instanceId: ATTACKER_SITE, state, code: 'x' });
      assert.equal(res.status, 401);
    });
  });

  describe('Wix dashboard instance', () => {
    const open = (instance: string, cookie?: string) => {
      const r = request(app).get('/wix/dashboard').query({ instance });
      return cookie ? r.set('Cookie', cookie) : r;
    };

    test('a signed instance signs in once; replayed it is refused', async () => {
      const instance = signedInstance(VICTIM_SITE);
      const first = await open(instance);
      assert.equal(first.status, 303);
      const replay = await open(instance);
      assert.equal(replay.status, 401);
      assert.match(replay.text, /already used/);
      assert.equal(appCookie(replay), undefined);
    });

    test('an instance signed 11 minutes ago is refused', async () => {
      const res = await open(signedInstance(VICTIM_SITE, { signDate: new Date(Date.now() - 11 * 60_000) }));
      assert.equal(res.status, 401);
      assert.equal(appCookie(res), undefined);
    });
  });

  describe('BigCommerce load', () => {
    test('a load payload signs in once; replayed it is refused', async () => {
      const jwt = await bcPayload();
      assert.equal((await request(app).get('/bigcommerce/load').query({ signed_payload_jwt: jwt })).status, 303);
      const replay = await request(app).get('/bigcommerce/load').query({ signed_payload_jwt: jwt });
      assert.equal(replay.status, 401);
      assert.equal(appCookie(replay), undefined);
    });

    test('an expired payload, and one issued over ten minutes ago though unexpired, start nothing', async () => {
      for (const jwt of [await bcPayload({ iatOffsetS: -3600, expOffsetS: -120 }), await bcPayload({ iatOffsetS: -12 * 60 })]) {
        const res = await request(app).get('/bigcommerce/load').query({ signed_payload_jwt: jwt });
        assert.equal(res.status, 401);
        assert.equal(appCookie(res), undefined);
      }
      // Uninstall is not a sign-in: BigCommerce's own expiry is what counts there.
      const late = await request(app).get('/bigcommerce/remove-user').query({ signed_payload_jwt: await bcPayload({ iatOffsetS: -12 * 60 }) });
      assert.equal(late.status, 200);
    });

    test('user B’s payload opened in a browser signed in as user A leaves it signed in as B, to B’s store only, never a mix', async () => {
      const a = await request(app).get('/bigcommerce/load').query({ signed_payload_jwt: await bcPayload({ userId: 1001, email: 'alice@a.example' }) });
      const cookieA = cookieOf(a);
      const b = await request(app).get('/bigcommerce/load').set('Cookie', cookieA).query({ signed_payload_jwt: await bcPayload({ storeHash: OTHER_HASH, userId: 2002, email: 'bob@b.example' }) });
      assert.equal(b.status, 303);
      const cookieB = cookieOf(b);
      assert.notEqual(cookieB, cookieA, 'a new session id');
      // Same cookie name, path and partition flags: the browser replaces A's cookie with B's.
      const flags = (c: string) => c.split(';').slice(1).map((f) => f.trim()).filter((f) => !/^(Expires|Max-Age)=/i.test(f)).sort();
      assert.deepEqual(flags(appCookie(b)!), flags(appCookie(a)!));
      const home = await request(app).get('/app').set('Cookie', cookieB);
      assert.equal(home.status, 200);
      assert.ok(home.text.includes('bob@b.example · b-store.example.com'), 'named as B with B’s store');
      assert.ok(!home.text.includes('alice@a.example'));
      assert.ok(!home.text.includes('a-store.example.com'));
      const bySubject = async (subject: string) => (await sessions()).filter((s) => s.subject === subject).map((s) => [s.store_id, s.actor]);
      assert.deepEqual(await bySubject('bigcommerce:2002'), [[stores.bcB!.id, 'bob@b.example']]);
      assert.deepEqual(await bySubject('bigcommerce:1001'), [[stores.bcA!.id, 'alice@a.example']]);
    });
  });

  describe('Shopify admin launch', () => {
    test('a launch id_token signs in once; replayed it is refused, and the session names the token’s user', async () => {
      const token = sessionToken();
      const first = await request(app).get('/app').query(launchQuery(token));
      assert.equal(first.status, 303, first.text);
      const replay = await request(app).get('/app').query(launchQuery(token));
      assert.equal(replay.status, 401);
      assert.equal(appCookie(replay), undefined);
      assert.ok((await sessions()).some((s) => s.store_id === stores.shop!.id && s.subject === 'shopify:42'));
    });
  });

  describe('Wix webhooks, verified by jose', () => {
    const verify = createWixVerifier({ appId: wixEnv.WIX_APP_ID, publicKey: wixEnv.WIX_PUBLIC_KEY });
    const event = ev.appInstalled(VICTIM_SITE);

    test('RS256 with the app key passes; alg none, HS256 keyed with the public key, an expired one and one without exp are refused', async () => {
      assert.equal((await verify(wixRequest(signWixJwt(event)))).ok, true);
      for (const jwt of [unsignedJwt(event), hs256WithPublicKey(event), signWixJwt(event, { iat: 1_700_000_000, exp: 1_700_000_060 }), signWixJwt(event, { wrongKey: true })]) {
        const verdict = await verify(wixRequest(jwt));
        assert.equal(verdict.ok, false);
      }
      // No exp at all: jose is told exp is required.
      const noExp = signWixJwt(event, { exp: Number.NaN });
      assert.equal((await verify(wixRequest(noExp))).ok, false);
    });

    test('a base64 public key, as Wix’s dashboard hands it out, verifies the same', async () => {
      const b64 = createWixVerifier({ publicKey: Buffer.from(wixEnv.WIX_PUBLIC_KEY).toString('base64') });
      assert.equal((await b64(wixRequest(signWixJwt(event)))).ok, true);
    });
  });
});
