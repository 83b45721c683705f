// A second attacker's look at the hardened edges: what the first round of fixes left open.
// Each test names the hole it closes; see docs/security/second-look.md.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, chown, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
import { signIn } from './helpers/browser-client.ts';
import { emailMessage, newProfile } from './helpers/messaging-fixtures.ts';
import { appRoutes } from '../src/web/ui/app-routes.ts';
import { issueMerchantLogin } from '../src/accounts/merchant-accounts.ts';
import { ingestCatalog } from '../src/ingest/ingest-catalog.ts';
import { enqueueMessage } from '../src/messaging/outbox.ts';
import type { ExternalProductId } from '../src/model/ids.ts';
import { startEmbedded } from '../src/db/embedded.ts';
import { resolveEncryptionKey } from '../src/security/encryption-key.ts';
import { skipUnless } from './helpers/prerequisite.ts';

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

type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } };

/** Every [method, path] a router (and routers mounted at its root) answers. */
function routesOf(router: unknown): Array<[string, string]> {
  const walk = (stack: Layer[]): Array<[string, string]> =>
    stack.flatMap((l) => (l.route ? Object.keys(l.route.methods).map((m): [string, string] => [m, l.route!.path]) : l.handle?.stack ? walk(l.handle.stack) : []));
  return walk((router as { stack: Layer[] }).stack);
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
    const bcPayload = async (user = { userId: 24654, email: 'merchant@example.com' }) => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ user: { id: user.userId, email: user.email }, owner: { id: 24654, email: 'merchant@example.com' }, url: '/' })
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

    test('a BigCommerce user the store removes is signed out at once; the store’s other users stay signed in', async () => {
      const load = async (userId: number, email: string) => {
        const res = await request(app).get('/bigcommerce/load').query({ signed_payload_jwt: await bcPayload({ userId, email }) });
        assert.equal(res.status, 303);
        return appCookie(res)!.split(';')[0]!;
      };
      const leaving = await load(3003, 'leaving@example.com');
      const staying = await load(4004, 'staying@example.com');
      // The cookie is Secure (APP_URL is https); supertest sends what it is given.
      const home = (cookie: string) => request(app).get('/app').set('Cookie', cookie);
      assert.equal((await home(leaving)).status, 200);
      const removed = await request(app).get('/bigcommerce/remove-user').query({ signed_payload_jwt: await bcPayload({ userId: 3003, email: 'leaving@example.com' }) });
      assert.equal(removed.status, 200, removed.text);
      const after = await home(leaving);
      assert.equal(after.status, 303, 'the removed user’s session no longer opens the app');
      assert.equal(after.headers.location, '/app/login');
      assert.equal((await home(staying)).status, 200, 'another user of the same store is unaffected');
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

describe('security second look: the merchant app across stores', () => {
  let rt: TestRuntime;
  let app: Express;
  before(async () => {
    rt = await testRuntime();
    app = createApp(rt);
  });
  after(async () => rt?.dispose());

  test('a merchant password reset ends the sessions the old password opened; another account of the store keeps its own', async () => {
    const { store } = await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: 'reset.example' });
    const first = await issueMerchantLogin(rt.db.pool, store.id, 'owner@reset.example');
    const other = await issueMerchantLogin(rt.db.pool, store.id, 'clerk@reset.example');
    const owner = await signIn(app, 'app', 'owner@reset.example', first.password);
    const clerk = await signIn(app, 'app', 'clerk@reset.example', other.password);
    assert.equal((await owner.agent.get('/app')).status, 200);
    // The operator resets the owner's password (store user add again), say after a leak.
    const reset = await issueMerchantLogin(rt.db.pool, store.id, 'owner@reset.example');
    const stale = await owner.agent.get('/app');
    assert.equal(stale.status, 303, 'the session opened with the old password is over');
    assert.equal(stale.headers.location, '/app/login');
    assert.equal((await clerk.agent.get('/app')).status, 200, 'another account keeps its session');
    const again = await signIn(app, 'app', 'owner@reset.example', reset.password);
    assert.equal((await again.agent.get('/app')).status, 200, 'the new password signs in');
  });

  test("tenant isolation in the merchant app: every /app route that takes an id, given another store's id, answers 404 (or \"gone\") and shows and changes nothing", async () => {
    const make = async (domain: string) => {
      const { store } = await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain });
      const login = await issueMerchantLogin(rt.db.pool, store.id, `owner@${domain}`);
      return { store, session: await signIn(app, 'app', `owner@${domain}`, login.password) };
    };
    const a = await make('tenant-a.example');
    const b = await make('tenant-b.example');
    // B's records: a flow (with its first step), a held message, a product with a history.
    const made = await b.session.agent.post('/app/flows').type('form').send({ _csrf: b.session.csrf, preset: 'abandoned-checkout' });
    assert.equal(made.status, 303, made.text.slice(0, 300));
    const flowId = /\/app\/flows\/([\w-]+)/.exec(made.headers.location!)![1]!;
    const { rows: [flow] } = await rt.db.pool.query<{ step: string }>(
      `SELECT v.definition->'steps'->0->>'id' AS step FROM flow_versions v WHERE v.store_id = $1 AND v.flow_id = $2 ORDER BY v.version DESC LIMIT 1`,
      [b.store.id, flowId],
    );
    const stepId = flow!.step;
    const profileId = await newProfile(rt, b.store.id, { email: 'shopper-b@example.com' });
    const held = await enqueueMessage(rt.db.pool, emailMessage(b.store.id, profileId, 'shopper-b@example.com', { status: 'held', flowId }));
    await ingestCatalog(rt.db.pool, b.store.id, [
      { externalId: 'b-secret-lamp' as ExternalProductId, title: 'B Secret Lamp', url: null, imageUrl: null, price: 30, inventoryTracking: 'product', inventoryQuantity: 3, variants: [] },
    ]);
    const { rows: [product] } = await rt.db.pool.query<{ id: string }>('SELECT id FROM products WHERE store_id = $1', [b.store.id]);
    const bState = async () =>
      (
        await rt.db.pool.query(
          `SELECT (SELECT json_agg(json_build_object('id', id, 'status', status) ORDER BY id) FROM flows WHERE store_id = $1) AS flows,
                  (SELECT count(*)::int FROM flow_versions WHERE store_id = $1) AS versions,
                  (SELECT json_agg(json_build_object('id', id, 'status', status) ORDER BY id) FROM messages WHERE store_id = $1) AS messages`,
          [b.store.id],
        )
      ).rows[0];
    await rt.db.pool.query(`INSERT INTO lists (store_id, name) VALUES ($1, 'B Secret List')`, [b.store.id]);
    await rt.db.pool.query(`INSERT INTO profile_lists (store_id, list, profile_id) VALUES ($1, 'B Secret List', $2)`, [b.store.id, profileId]);
    const { rows: [segment] } = await rt.db.pool.query<{ id: string }>(
      `INSERT INTO segments (store_id, name, definition) VALUES ($1, 'B Secret Segment', '{"conditions":[]}'::jsonb) RETURNING id`,
      [b.store.id],
    );
    const segmentId = segment!.id;
    const before = await bState();
    // Words only B's pages would show.
    const bMarks = [flowId, held.id, 'B Secret Lamp', 'b-secret-lamp', 'shopper-b@example.com', 'tenant-b.example', 'B Secret List', 'B Secret Segment'];

    const idFor = (path: string) =>
      path.startsWith('/messages') ? held.id : path.startsWith('/catalog') ? product!.id : path.startsWith('/people') ? profileId : path.startsWith('/segments') ? segmentId : flowId;
    const form = { _csrf: a.session.csrf, status: 'live', preset: 'welcome', definition: '{}', type: 'email', at: 'start', subject: 'x', html: '<p>x</p>', test_to: 'attacker@example.com', sample_product: 'b-secret-lamp' };
    let walked = 0;
    for (const [method, path] of routesOf(appRoutes(rt))) {
      if (!path.includes(':')) continue;
      const url = `/app${path
        .replace(':stepId', encodeURIComponent(stepId))
        .replace(':id', idFor(path))
        .replace(':name', encodeURIComponent('B Secret List'))
        .replace(':profileId', profileId)
        .replace(':messageId', held.id)}`;
      const res = method === 'get' ? await a.session.agent.get(url) : await a.session.agent.post(url).type('form').send(form);
      // A held-message decision answers a foreign id as it answers one already decided: "gone".
      const gone = res.status === 303 && /done=gone$/.test(res.headers.location ?? '');
      assert.ok(res.status === 404 || gone, `${method.toUpperCase()} ${url}: ${res.status} ${res.text.slice(0, 200)}`);
      for (const mark of bMarks) assert.ok(!res.text.includes(mark), `${method.toUpperCase()} ${url} shows ${mark}`);
      walked++;
    }
    assert.ok(walked >= 15, `walked ${walked} id routes`);
    // Ids in the query string: another store's flow filters nothing in, its product previews nothing.
    for (const [path, query] of [['/app/messages', { flowId }], ['/app/catalog', { q: 'Secret' }]] as const) {
      const res = await a.session.agent.get(path).query(query);
      assert.equal(res.status, 200);
      for (const mark of bMarks.slice(1)) assert.ok(!res.text.includes(mark), `${path} shows ${mark}`);
    }
    assert.deepEqual(await bState(), before, "A's requests changed B's records");
    const { rows: sent } = await rt.db.pool.query("SELECT 1 FROM messages WHERE recipient = 'attacker@example.com'");
    assert.equal(sent.length, 0, 'no test message went out through B');
  });
});

const asRoot = skipUnless('root (to hand a folder to another user)', process.getuid?.() === 0 ? false : 'not running as root');

test('a DATA_DIR another user owns is refused before anything is written to it', { skip: asRoot }, async () => {
  // Someone else made the folder first (in a shared temporary folder, say): they could swap the recorded address or
  // the key file under us, so the database, its address and the key must not go there.
  const base = await mkdtemp(join(tmpdir(), 'storeflow-foreign-'));
  const dir = join(base, 'data');
  await chmod(base, 0o755);
  await mkdir(dir);
  await chown(dir, 65534, 65534);
  await chmod(dir, 0o777);
  try {
    await assert.rejects(resolveEncryptionKey(undefined, dir), /DATA_DIR .* belongs to another user/);
    await assert.rejects(startEmbedded(dir), /DATA_DIR .* belongs to another user/);
    assert.deepEqual(await readdir(dir), [], 'nothing was written into the foreign folder');
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});
