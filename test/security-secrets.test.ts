// Secrets at rest and in logs. A realistic run (stores installed with tokens, signed webhooks from
// each platform, API calls with private keys, the worker draining, a platform call that fails)
// logs at trace level into a captured stream; none of the test secrets may appear in it, and none
// may sit in the database in the clear. Then ENCRYPTION_KEY rotation through the CLI.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import request from 'supertest';
import { boot } from '../src/boot.ts';
import type { Runtime } from '../src/runtime.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { createApp } from '../src/web/app.ts';
import { createStore } from '../src/stores/create-store.ts';
import { readSealedAccessToken, saveInstallation } from '../src/db/repositories/stores.ts';
import { drainWebhooks } from '../src/jobs/process-webhooks.ts';
import { createSecretBox } from '../src/security/secret-box.ts';
import { createBigCommerceConnector } from '../connectors/bigcommerce/bigcommerce-connector.ts';
import { createTestDatabase } from './helpers/db.ts';
import { runCli } from './helpers/spawn.ts';
import { ENV as SHOPIFY_ENV, SHOP, fixture, postDelivery, signedDelivery } from './fixtures/shopify/kit.ts';
import { CLIENT_ID, CLIENT_SECRET, STORE_HASH, envelope as bcEnvelope, signedRequest as bcSigned } from './fixtures/bigcommerce/payloads.ts';
import { hookSecret } from '../connectors/bigcommerce/verify-webhook.ts';

describe('secrets are encrypted at rest and never logged', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let rt: Runtime;
  let logs = '';
  const encryptionKey = randomBytes(32).toString('base64');
  const SHOPIFY_TOKEN = `shpat_${randomBytes(12).toString('hex')}`;
  const BC_TOKEN = `bc_${randomBytes(12).toString('hex')}`;
  const SMS_AUTH_TOKEN = `sms-auth-${randomBytes(8).toString('hex')}`;
  const secrets: string[] = [];

  before(async () => {
    database = await createTestDatabase();
    const config = loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL: database.url,
      DATA_DIR: '/nonexistent-data-dir',
      ENCRYPTION_KEY: encryptionKey,
      LOG_LEVEL: 'trace',
      BIGCOMMERCE_CLIENT_ID: CLIENT_ID,
      BIGCOMMERCE_CLIENT_SECRET: CLIENT_SECRET,
      SMS_AUTH_TOKEN,
      ...SHOPIFY_ENV,
    });
    const sink = new Writable({
      write(chunk, _enc, done) {
        logs += String(chunk);
        done();
      },
    });
    rt = await boot({ config, logger: createLogger('trace', sink) });
  });
  after(async () => {
    await rt?.close();
    await database?.drop();
  });

  test('a full run of installs, webhooks and API calls leaves no secret in the logs or in the clear in the database', async () => {
    // The BigCommerce API is unreachable, so the worker's read-back fails and logs the failure.
    const bigcommerce = createBigCommerceConnector({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, appUrl: rt.config.appUrl, apiBaseUrl: 'http://127.0.0.1:1', retryBaseMs: 1, maxRetries: 1 });
    const runtime: Runtime = { ...rt, connectors: { ...rt.connectors, bigcommerce } };
    const app = createApp(runtime);

    // Installs, as the OAuth callbacks finish them: tokens handed over and sealed.
    const shop = await createStore(rt.db.pool, rt.secrets, { platform: 'shopify', domain: SHOP, accessToken: SHOPIFY_TOKEN });
    const bc = await createStore(rt.db.pool, rt.secrets, { platform: 'bigcommerce', domain: 'secrets-bc.example.com' });
    await saveInstallation(rt.db.pool, bc.store.id, { accessTokenSealed: rt.secrets.seal(BC_TOKEN), scopes: [], externalId: STORE_HASH });
    const custom = await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: 'secrets.example.com' });
    secrets.push(SHOPIFY_TOKEN, BC_TOKEN, SMS_AUTH_TOKEN, CLIENT_SECRET, SHOPIFY_ENV.SHOPIFY_API_SECRET, encryptionKey, shop.privateKey, bc.privateKey, custom.privateKey, hookSecret(CLIENT_SECRET, STORE_HASH));

    // Signed webhooks, accepted and refused.
    const delivery = signedDelivery('orders/create', fixture('orders-create'));
    secrets.push(String(delivery.headers['x-shopify-hmac-sha256']));
    assert.equal((await postDelivery(request(app), delivery)).status, 200);
    assert.equal((await postDelivery(request(app), signedDelivery('orders/create', fixture('orders-create'), { secret: 'wrong' }))).status, 401);
    const bcDelivery = bcSigned(bcEnvelope('store/order/created', { type: 'order', id: 9 }));
    let r = request(app).post('/webhooks/bigcommerce');
    for (const [k, v] of Object.entries(bcDelivery.headers)) if (typeof v === 'string') r = r.set(k, v);
    assert.equal((await r.send(bcDelivery.rawBody.toString('utf8'))).status, 200);

    // API calls with the private key: good, bad input, wrong key.
    const auth = `Bearer ${custom.privateKey}`;
    assert.equal((await request(app).post('/api/v1/events').set('Authorization', auth).send({ events: [{ metric: 'Viewed Product', profile: { email: 'a@example.com' } }] })).status, 202);
    assert.equal((await request(app).post('/api/v1/events').set('Authorization', auth).send({ events: [{ metric: '' }] })).status, 422);
    assert.equal((await request(app).get('/api/v1/catalog/products').set('Authorization', `${auth}x`)).status, 401);
    assert.equal((await request(app).get('/api/v1/catalog/products').set('Authorization', auth).set('Cookie', `sid=${custom.privateKey}`)).status, 200);

    // The worker opens the tokens to normalise; the BigCommerce read-back fails.
    await drainWebhooks(runtime);
    const failed = await rt.db.pool.query<{ last_error: string | null }>("SELECT last_error FROM webhook_inbox WHERE source = 'bigcommerce'");
    assert.ok(failed.rows[0]?.last_error, 'the BigCommerce read-back failed and was logged');

    assert.ok(logs.length > 1000, 'the run was logged');
    for (const s of secrets) {
      const at = logs.indexOf(s);
      assert.ok(at < 0, `a secret reached the logs: ${s.slice(0, 6)}… in ${logs.slice(Math.max(0, at - 400), at + 50).replaceAll(s, '<SECRET>')}`);
    }

    // At rest: no token or private key in the clear anywhere in the stores table.
    const { rows } = await rt.db.pool.query<{ row: string }>('SELECT row_to_json(s)::text AS row FROM stores s');
    const dump = rows.map((x) => x.row).join('\n');
    for (const s of [SHOPIFY_TOKEN, BC_TOKEN, shop.privateKey, bc.privateKey, custom.privateKey]) assert.ok(!dump.includes(s), 'a secret is stored in the clear');
    const sealed = await readSealedAccessToken(rt.db.pool, shop.store.id);
    assert.match(sealed ?? '', /^v1\./, 'sealed in the versioned format');
    assert.equal(rt.secrets.open(sealed!), SHOPIFY_TOKEN);
  });

  test('rotate-key re-seals every token under the new key in one transaction; a token that does not open changes nothing', async () => {
    const next = randomBytes(32);
    const env = { DATABASE_URL: database.url, DATA_DIR: '/nonexistent-data-dir', ENCRYPTION_KEY: encryptionKey, NEW_ENCRYPTION_KEY: next.toString('base64') };
    const sealedBefore = (await rt.db.pool.query<{ id: string; access_token_enc: string }>('SELECT id, access_token_enc FROM stores WHERE access_token_enc IS NOT NULL ORDER BY id')).rows;
    assert.equal(sealedBefore.length, 2);

    // One token sealed under a stranger key: the rotation refuses and leaves every row as it was.
    const stranger = await createStore(rt.db.pool, createSecretBox(randomBytes(32)), { platform: 'wix', domain: 'stranger.example.com', accessToken: 'wix-token' });
    const refused = await runCli(['rotate-key'], env);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, new RegExp(`store ${stranger.store.id} does not open with the current key; nothing was changed`));
    const unchanged = (await rt.db.pool.query<{ id: string; access_token_enc: string }>('SELECT id, access_token_enc FROM stores WHERE id <> $1 AND access_token_enc IS NOT NULL ORDER BY id', [stranger.store.id])).rows;
    assert.deepEqual(unchanged, sealedBefore);
    await rt.db.pool.query('DELETE FROM stores WHERE id = $1', [stranger.store.id]);

    const done = await runCli(['rotate-key'], env);
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, /re-sealed 2 access tokens and 3 webhook signing secrets under the new key/);
    const newBox = createSecretBox(next);
    for (const row of sealedBefore) {
      const sealed = (await readSealedAccessToken(rt.db.pool, row.id as never))!;
      assert.notEqual(sealed, row.access_token_enc);
      assert.throws(() => rt.secrets.open(sealed), 'the old key no longer opens it');
      assert.ok([SHOPIFY_TOKEN, BC_TOKEN].includes(newBox.open(sealed)));
    }
    assert.ok(!done.stdout.includes(SHOPIFY_TOKEN) && !done.stderr.includes(SHOPIFY_TOKEN));

    const missing = await runCli(['rotate-key'], { ...env, NEW_ENCRYPTION_KEY: '' });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /NEW_ENCRYPTION_KEY/);
  });
});
