// The links inside messages as a recipient follows them, and the messages API as a merchant reads it.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import type { Express } from 'express';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { emailMessage, messageOf, newProfile, newStore } from './helpers/messaging-fixtures.ts';
import { enqueueMessage, recordSkip } from '../src/messaging/outbox.ts';
import { createMessageDelivery } from '../src/jobs/deliver-messages.ts';
import { clickUrl, messageLinkKey, openUrl, unsubscribeUrl } from '../src/messaging/links.ts';
import { getConsent } from '../src/db/repositories/messaging-consent.ts';
import { createApp } from '../src/web/app.ts';
import type { MessageId, StoreId } from '../src/model/ids.ts';

const path = (url: string): string => new URL(url).pathname;

/** Flips one bit in the token's payload: what an attacker editing the link would produce. */
function alter(url: string): string {
  const token = url.split('/').pop()!;
  const raw = Buffer.from(token, 'base64url');
  raw[5] = raw[5]! ^ 0x01;
  return url.replace(token, raw.toString('base64url'));
}

describe('message links and the messages API', () => {
  let rt: TestRuntime;
  let app: Express;
  let store: { id: StoreId; privateKey: string };
  let key: Buffer;
  before(async () => {
    rt = await testRuntime({ env: { APP_URL: 'https://app.example' } });
    app = createApp(rt);
    store = await newStore(rt);
    key = messageLinkKey(rt.secrets);
  });
  after(async () => rt.dispose());

  async function sentMessage(to: string): Promise<{ id: MessageId; flowId: string }> {
    const profileId = await newProfile(rt, store.id, { email: to });
    const m = emailMessage(store.id, profileId, to);
    const { id } = await enqueueMessage(rt.db.pool, m);
    await createMessageDelivery(rt).run();
    return { id, flowId: m.flowId! };
  }

  test('unsubscribe: GET shows a page and changes nothing, POST (one-click) unsubscribes', async () => {
    const profileId = await newProfile(rt, store.id, { email: 'leave@example.com', consent: { email: 'subscribed' } });
    const url = unsubscribeUrl(rt.config.appUrl, key, store.id, profileId, 'email');
    const page = await request(app).get(path(url));
    assert.equal(page.status, 200);
    assert.match(page.headers['content-type'] ?? '', /^text\/html/);
    assert.match(page.text, /<form method="post">/);
    assert.equal((await getConsent(rt.db.pool, store.id, profileId))?.email, 'subscribed', 'a GET (link scanner) does not unsubscribe');

    const oneClick = await request(app).post(path(url)).type('form').send('List-Unsubscribe=One-Click');
    assert.equal(oneClick.status, 200);
    assert.match(oneClick.text, /You are unsubscribed/);
    assert.equal((await getConsent(rt.db.pool, store.id, profileId))?.email, 'unsubscribed');
    assert.equal((await request(app).post(path(url))).status, 200, 'idempotent');
    assert.match((await request(app).get(path(url))).text, /You are unsubscribed/);
  });

  test('a forged or altered unsubscribe token is refused with 400 and changes nothing', async () => {
    const profileId = await newProfile(rt, store.id, { email: 'stay@example.com', consent: { email: 'subscribed' } });
    const url = unsubscribeUrl(rt.config.appUrl, key, store.id, profileId, 'email');
    for (const bad of [path(alter(url)), '/u/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', '/u/nope']) {
      assert.equal((await request(app).get(bad)).status, 400, bad);
      assert.equal((await request(app).post(bad)).status, 400, bad);
    }
    assert.equal((await getConsent(rt.db.pool, store.id, profileId))?.email, 'subscribed');
  });

  test('the open pixel records the first open only', async () => {
    const { id } = await sentMessage('open@example.com');
    const url = openUrl(rt.config.appUrl, key, store.id, id);
    const res = await request(app).get(path(url));
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'image/gif');
    assert.equal(res.headers['cross-origin-resource-policy'], 'cross-origin');
    const first = (await messageOf(rt, store.id, id)).openedAt;
    assert.ok(first);
    await request(app).get(path(url));
    assert.equal((await messageOf(rt, store.id, id)).openedAt?.getTime(), first.getTime());
    assert.equal((await request(app).get(path(alter(url)))).status, 400);
  });

  test('a click redirects to the signed target and is recorded; forged tokens are refused', async () => {
    const { id } = await sentMessage('click@example.com');
    const target = 'https://shop.example/p/1?utm=x';
    const url = clickUrl(rt.config.appUrl, key, store.id, id, target);
    const forged = await request(app).get(path(alter(url)));
    assert.equal(forged.status, 400);
    assert.equal(forged.headers.location, undefined);
    const otherTarget = url.replace(/\/c\/.*/, `/c/${Buffer.from('evil').toString('base64url')}`);
    assert.equal((await request(app).get(path(otherTarget))).status, 400);
    assert.equal((await messageOf(rt, store.id, id)).clickedAt, null);

    const res = await request(app).get(path(url)).query({ to: 'https://evil.example' });
    assert.equal(res.status, 302);
    assert.equal(res.headers.location, target);
    const m = await messageOf(rt, store.id, id);
    assert.ok(m.clickedAt);
    assert.ok(m.openedAt, 'a click implies an open');
  });

  test('GET /api/v1/messages lists messages newest first with filters and a cursor', async () => {
    const a = await sentMessage('list-a@example.com');
    const profileId = await newProfile(rt, store.id);
    await recordSkip(rt.db.pool, { ...emailMessage(store.id, profileId, 'list-b@example.com', { flowId: a.flowId }), reason: 'smart sending' });
    const auth = { Authorization: `Bearer ${store.privateKey}` };

    const byFlow = await request(app).get('/api/v1/messages').query({ flowId: a.flowId }).set(auth);
    assert.equal(byFlow.status, 200);
    assert.deepEqual(byFlow.body.data.map((m: { status: string; reason: string | null }) => [m.status, m.reason]), [['skipped', 'smart sending'], ['sent', null]]);
    const sent = byFlow.body.data[1];
    assert.deepEqual(Object.keys(sent).sort(), ['channel', 'clickedAt', 'createdAt', 'flowId', 'id', 'openedAt', 'reason', 'runId', 'sentAt', 'status', 'stepId', 'subject', 'to'].sort());
    assert.equal(sent.id, a.id);
    assert.equal(sent.to, 'list-a@example.com');
    assert.ok(sent.sentAt);

    const skipped = await request(app).get('/api/v1/messages').query({ status: 'skipped' }).set(auth);
    assert.ok(skipped.body.data.every((m: { status: string }) => m.status === 'skipped'));

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: request.Response = await request(app).get('/api/v1/messages').query({ limit: 2, ...(cursor ? { cursor } : {}) }).set(auth);
      assert.equal(res.status, 200);
      seen.push(...res.body.data.map((m: { id: string }) => m.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    const { rows } = await rt.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM messages WHERE store_id = $1', [store.id]);
    assert.equal(seen.length, rows[0]!.n);
    assert.equal(new Set(seen).size, seen.length);

    assert.equal((await request(app).get('/api/v1/messages')).status, 401);
    const bad = await request(app).get('/api/v1/messages').query({ status: 'nope' }).set(auth);
    assert.equal(bad.status, 400);
    assert.match(bad.headers['content-type'] ?? '', /^application\/problem\+json/);
  });
});
