// Outbound webhook signatures: each store has its own secret, made at store creation (or the first
// time an older store needs one), sealed at rest, shown in the merchant app and over the API, and
// rotated with an overlap during which calls carry a signature under both secrets.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import request from 'supertest';
import type { Express } from 'express';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { signIn } from './helpers/browser-client.ts';
import { createApp } from '../src/web/app.ts';
import { createStore, type CreatedStore } from '../src/stores/create-store.ts';
import { issueMerchantLogin } from '../src/accounts/merchant-accounts.ts';
import { ROTATION_OVERLAP_MS, signingSecretsFor, viewSigningSecret } from '../src/stores/signing-secret.ts';
import { signatureHeader } from '../src/flows/outbound-webhook.ts';

describe('store webhook signing secrets', () => {
  let rt: TestRuntime;
  let app: Express;
  let a: CreatedStore;
  let b: CreatedStore;
  const login = { email: 'owner@signing.example', password: '' };

  before(async () => {
    rt = await testRuntime();
    app = createApp(rt);
    a = await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: 'signing-a.example' });
    b = await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: 'signing-b.example' });
    login.password = (await issueMerchantLogin(rt.db.pool, a.store.id, login.email)).password;
  });
  after(async () => rt.dispose());

  test('each store gets its own secret at creation, stored sealed', async () => {
    const sa = (await viewSigningSecret(rt.db.pool, rt.secrets, a.store.id)).secret;
    const sb = (await viewSigningSecret(rt.db.pool, rt.secrets, b.store.id)).secret;
    assert.match(sa, /^whsec_[A-Za-z0-9_-]{43}$/);
    assert.notEqual(sa, sb);
    const { rows } = await rt.db.pool.query<{ id: string; sealed: string; row: string }>('SELECT id, webhook_secret_enc AS sealed, row_to_json(s)::text AS row FROM stores s');
    for (const r of rows) {
      assert.match(r.sealed, /^v1\./);
      assert.ok(!r.row.includes(sa) && !r.row.includes(sb), 'no secret in the clear');
    }
  });

  test('a store made before secrets existed gets one the first time it is needed, and keeps it', async () => {
    const old = await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: 'older.example' });
    await rt.db.pool.query('UPDATE stores SET webhook_secret_enc = NULL WHERE id = $1', [old.store.id]);
    const [first] = await signingSecretsFor(rt.db.pool, rt.secrets, old.store.id);
    assert.match(first!, /^whsec_/);
    assert.deepEqual(await signingSecretsFor(rt.db.pool, rt.secrets, old.store.id), [first]);
  });

  test('the merchant app shows the secret and rotates it behind CSRF; the old one signs alongside until the overlap ends', async () => {
    const before = (await viewSigningSecret(rt.db.pool, rt.secrets, a.store.id)).secret;
    const { agent, csrf } = await signIn(app, 'app', login.email, login.password);
    const page = await agent.get('/app/settings/webhooks').expect(200);
    assert.ok(page.text.includes(`value="${before}"`));
    assert.equal(page.headers['cache-control'], 'no-store');

    const forged = await agent.post('/app/settings/webhooks/rotate').type('form').send({});
    assert.ok(forged.status === 403 || forged.status === 400, `no CSRF token: ${forged.status}`);
    assert.equal((await viewSigningSecret(rt.db.pool, rt.secrets, a.store.id)).secret, before, 'unchanged without the token');

    const rotated = await agent.post('/app/settings/webhooks/rotate').type('form').send({ _csrf: csrf });
    assert.equal(rotated.status, 200, rotated.text.slice(0, 300));
    const view = await viewSigningSecret(rt.db.pool, rt.secrets, a.store.id);
    assert.notEqual(view.secret, before);
    assert.ok(rotated.text.includes(`value="${view.secret}"`));
    assert.match(rotated.text, /previous secret still signs calls/);
    assert.ok(view.previousValidUntil);

    const now = new Date();
    assert.deepEqual(await signingSecretsFor(rt.db.pool, rt.secrets, a.store.id, now), [view.secret, before]);
    assert.deepEqual(await signingSecretsFor(rt.db.pool, rt.secrets, a.store.id, new Date(now.getTime() + ROTATION_OVERLAP_MS + 60_000)), [view.secret]);

    // During the overlap a receiver holding either secret finds its signature in the header.
    const header = signatureHeader([view.secret, before], 1_700_000_000, '{"x":1}');
    const v1 = header.split(',').filter((p) => p.startsWith('v1=')).map((p) => p.slice(3));
    for (const secret of [view.secret, before]) assert.ok(v1.includes(createHmac('sha256', secret).update('1700000000.{"x":1}').digest('hex')));
  });

  test('over the API a store reads and rotates its own secret only', async () => {
    const auth = { Authorization: `Bearer ${b.privateKey}` };
    const read = await request(app).get('/api/v1/webhook-signing').set(auth).expect(200);
    assert.equal(read.body.secret, (await viewSigningSecret(rt.db.pool, rt.secrets, b.store.id)).secret);
    const rotated = await request(app).post('/api/v1/webhook-signing/rotate').set(auth).send({}).expect(200);
    assert.notEqual(rotated.body.secret, read.body.secret);
    assert.ok(Date.parse(rotated.body.previousValidUntil) > Date.now());
    assert.equal((await signingSecretsFor(rt.db.pool, rt.secrets, b.store.id))[1], read.body.secret);
    await request(app).get('/api/v1/webhook-signing').expect(401);
  });
});
