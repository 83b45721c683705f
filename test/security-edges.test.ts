// The public edges as an attacker meets them: what each refuses, and in what order it checks.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import type { Express } from 'express';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { assertProblemResponse } from './helpers/drill.ts';
import { createStore, type CreatedStore } from '../src/stores/create-store.ts';
import { createApp } from '../src/web/app.ts';

describe('/api/v1 checks the key before it reads the body', () => {
  let rt: TestRuntime;
  let app: Express;
  let shop: CreatedStore;
  before(async () => {
    rt = await testRuntime();
    app = createApp(rt);
    shop = await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: 'key-first.example.com' });
  });
  after(async () => rt.dispose());

  const paths = ['/api/v1/events', '/api/v1/profiles', '/api/v1/flows', '/api/v1/segments'];

  test('an invalid key with a body that is not JSON is 401 problem+json, on every writing route', async () => {
    for (const path of paths) {
      const res = await request(app).post(path).set('Authorization', 'Bearer sk_nope').set('Content-Type', 'application/json').send('{"events": [ nope');
      const body = assertProblemResponse(res.status, res.headers['content-type'], res.text, 401);
      assert.match(body.type, /invalid-key$/, path);
    }
    const put = await request(app).put('/api/v1/catalog/items').set('Content-Type', 'application/json').send('{{{');
    assertProblemResponse(put.status, put.headers['content-type'], put.text, 401);
  });

  test('an invalid key with an oversized body is 401, not 413', async () => {
    const huge = `{"events":[${'"x",'.repeat(2_500_000)}"x"]}`;
    assert.ok(huge.length > 9_000_000);
    const res = await request(app).post('/api/v1/events').set('Authorization', 'Bearer sk_nope').set('Content-Type', 'application/json').send(huge);
    assertProblemResponse(res.status, res.headers['content-type'], res.text, 401);
  });

  test('an invalid key with the wrong content type is 401, not 415', async () => {
    const res = await request(app).post('/api/v1/segments').set('Content-Type', 'text/plain').send('hello');
    assertProblemResponse(res.status, res.headers['content-type'], res.text, 401);
  });

  test('a valid key with broken JSON is 400, and the messaging API answers with the key alone', async () => {
    const res = await request(app).post('/api/v1/segments').set('Authorization', `Bearer ${shop.privateKey}`).set('Content-Type', 'application/json').send('{"name": ');
    const body = assertProblemResponse(res.status, res.headers['content-type'], res.text, 400);
    assert.match(body.type, /malformed-json$/);
    const messages = await request(app).get('/api/v1/messages').set('Authorization', 'Bearer sk_nope');
    assertProblemResponse(messages.status, messages.headers['content-type'], messages.text, 401);
    const ok = await request(app).get('/api/v1/messages').set('Authorization', `Bearer ${shop.privateKey}`);
    assert.equal(ok.status, 200);
  });
});
