// Which proofs a BigCommerce delivery may carry: the Standard Webhooks signature alone, our
// registered header alone, or both (each present must hold), with a signature timestamp window
// as wide as BigCommerce's retry schedule.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import type { Express } from 'express';
import { Webhook } from 'standardwebhooks';
import type { WebhookRequest } from '../../connectors/connector.ts';
import { SECRET_HEADER, SIGNATURE_MAX_AGE_S, verifyBigCommerceWebhook } from '../../connectors/bigcommerce/verify-webhook.ts';
import { createApp } from '../../src/web/app.ts';
import { createStore } from '../../src/stores/create-store.ts';
import { saveInstallation } from '../../src/db/repositories/stores.ts';
import { testRuntime, type TestRuntime } from '../helpers/db.ts';
import { CLIENT_ID, CLIENT_SECRET, envelope, signedRequest } from '../fixtures/bigcommerce/payloads.ts';

/** Signed the Standard Webhooks way at the given time, without our header. */
function standardOnly(body: unknown, at: Date, id = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W'): WebhookRequest {
  const rawBody = Buffer.from(JSON.stringify(body));
  const signature = new Webhook(Buffer.from(CLIENT_SECRET, 'utf8'), { format: 'raw' }).sign(id, at, rawBody);
  return { headers: { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': signature }, rawBody };
}

describe('BigCommerce webhook signatures', () => {
  const body = envelope('store/product/updated', { type: 'product', id: 113 }, { storeHash: 'stdonlyhash' });
  const now = new Date('2026-12-01T12:00:00Z');
  const hoursAgo = (h: number) => new Date(now.getTime() - h * 3600_000);

  test('a delivery signed only with the Standard Webhooks headers is accepted and marked as such', () => {
    const verdict = verifyBigCommerceWebhook(standardOnly(body, now), CLIENT_SECRET, now);
    assert.ok(verdict.ok, verdict.ok ? '' : verdict.detail);
    assert.equal(verdict.shop, 'stdonlyhash');
    assert.equal(verdict.signedWith, 'standard-webhooks');
  });

  test('every proof present must hold: a wrong header beside a good signature, or a signature by another secret, is refused', () => {
    const good = standardOnly(body, now);
    assert.equal(verifyBigCommerceWebhook({ ...good, headers: { ...good.headers, [SECRET_HEADER]: 'not-the-header' } }, CLIENT_SECRET, now).ok, false);
    assert.equal(verifyBigCommerceWebhook(good, 'another-client-secret', now).ok, false);
    const { 'webhook-signature': _s, ...partial } = good.headers as Record<string, string>;
    assert.equal(verifyBigCommerceWebhook({ ...good, headers: partial }, CLIENT_SECRET, now).ok, false);
    assert.equal(verifyBigCommerceWebhook({ headers: {}, rawBody: good.rawBody }, CLIENT_SECRET, now).ok, false);
  });

  test('the timestamp window spans BigCommerce’s ~48-hour retry schedule, and no further; a future time is refused', () => {
    // 60+180+300+600+900+1800+3600+7200+21600+50400+86400 s: the last retry, if it kept the first time.
    const lastRetryH = 173_040 / 3600;
    assert.ok(SIGNATURE_MAX_AGE_S / 3600 > lastRetryH);
    assert.ok(verifyBigCommerceWebhook(standardOnly(body, hoursAgo(lastRetryH)), CLIENT_SECRET, now).ok, 'a retry signed with the first attempt’s time');
    assert.equal(verifyBigCommerceWebhook(standardOnly(body, hoursAgo(50)), CLIENT_SECRET, now).ok, false);
    assert.equal(verifyBigCommerceWebhook(standardOnly(body, new Date(now.getTime() + 10 * 60_000)), CLIENT_SECRET, now).ok, false);
  });

  describe('through the route', () => {
    let rt: TestRuntime;
    let app: Express;
    before(async () => {
      rt = await testRuntime({ env: { BIGCOMMERCE_CLIENT_ID: CLIENT_ID, BIGCOMMERCE_CLIENT_SECRET: CLIENT_SECRET } });
      app = createApp(rt);
      const created = await createStore(rt.db.pool, rt.secrets, { platform: 'bigcommerce', domain: 'stdonly.example.com' });
      await saveInstallation(rt.db.pool, created.store.id, { accessTokenSealed: null, scopes: [], externalId: 'stdonlyhash' });
    });
    after(async () => rt.dispose());
    const post = (req: WebhookRequest) => {
      let r = request(app).post('/webhooks/bigcommerce');
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') r = r.set(k, v);
      return r.send(req.rawBody.toString('utf8'));
    };

    test('signed only the Standard Webhooks way: 200 and queued; the static header alone is refused afterwards', async () => {
      const res = await post(standardOnly(body, new Date()));
      assert.deepEqual([res.status, res.body.status], [200, 'queued'], res.text);
      const headerOnly = await post(signedRequest(envelope('store/product/updated', { type: 'product', id: 114 }, { storeHash: 'stdonlyhash' }), { storeHash: 'stdonlyhash', standard: false }));
      assert.equal(headerOnly.status, 401);
    });
  });
});
