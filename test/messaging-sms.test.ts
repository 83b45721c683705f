// SMS out through a Twilio-style HTTP provider on loopback, and STOP/START replies coming in.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type { Express } from 'express';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { fakeClock, messageOf, newProfile, newStore, smsMessage } from './helpers/messaging-fixtures.ts';
import { enqueueMessage } from '../src/messaging/outbox.ts';
import { createMessageDelivery } from '../src/jobs/deliver-messages.ts';
import { backoffMs } from '../src/messaging/deliver.ts';
import { providerSignature } from '../src/messaging/inbound-sms.ts';
import { getConsent } from '../src/db/repositories/messaging-consent.ts';
import { createApp } from '../src/web/app.ts';
import type { StoreId } from '../src/model/ids.ts';

type Received = { path: string; auth: string | undefined; contentType: string | undefined; form: Record<string, string> };

async function startProvider(): Promise<{ server: Server; url: string; received: Received[]; answer: { status: number } }> {
  const received: Received[] = [];
  const answer = { status: 201 };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      received.push({
        path: req.url ?? '',
        auth: req.headers.authorization,
        contentType: req.headers['content-type'],
        form: Object.fromEntries(new URLSearchParams(body)),
      });
      res.writeHead(answer.status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(answer.status < 300 ? { sid: `SM${received.length}` } : { message: 'nope' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/2010-04-01/Accounts/AC123/Messages.json`, received, answer };
}

describe('SMS', () => {
  let rt: TestRuntime;
  let app: Express;
  let storeId: StoreId;
  let provider: Awaited<ReturnType<typeof startProvider>>;
  const AUTH_TOKEN = 'tok_secret_123';
  before(async () => {
    provider = await startProvider();
    rt = await testRuntime({
      env: {
        APP_URL: 'https://app.example',
        SMS_PROVIDER_URL: provider.url,
        SMS_ACCOUNT_SID: 'AC123',
        SMS_AUTH_TOKEN: AUTH_TOKEN,
        SMS_FROM: '+15005550006',
      },
    });
    app = createApp(rt);
    storeId = (await newStore(rt)).id;
  });
  after(async () => {
    await rt.dispose();
    await new Promise<void>((resolve) => provider.server.close(() => resolve()));
  });

  test('posts To, From and Body with basic auth, adding the STOP notice', async () => {
    const profileId = await newProfile(rt, storeId, { phone: '+14155550100', consent: { sms: 'subscribed' } });
    const { id } = await enqueueMessage(rt.db.pool, smsMessage(storeId, profileId, '+14155550100', { text: 'Only 2 left!' }));
    await createMessageDelivery(rt).run();
    const got = provider.received.at(-1)!;
    assert.equal(got.path, '/2010-04-01/Accounts/AC123/Messages.json');
    assert.equal(got.auth, `Basic ${Buffer.from(`AC123:${AUTH_TOKEN}`).toString('base64')}`);
    assert.match(got.contentType ?? '', /^application\/x-www-form-urlencoded/);
    assert.deepEqual(got.form, { To: '+14155550100', From: '+15005550006', Body: 'Only 2 left!\nReply STOP to opt out' });
    const m = await messageOf(rt, storeId, id);
    assert.equal(m.status, 'sent');
    assert.equal(m.provider, 'sms-http');
    assert.equal(m.providerId, `SM${provider.received.length}`);
  });

  test('a provider outage is retried; a refusal of the number fails at once', async () => {
    const clock = fakeClock();
    const delivery = createMessageDelivery(rt, clock.now);
    const profileId = await newProfile(rt, storeId, { phone: '+14155550101', consent: { sms: 'subscribed' } });
    const { id } = await enqueueMessage(rt.db.pool, smsMessage(storeId, profileId, '+14155550101'));
    provider.answer.status = 503;
    await delivery.run();
    assert.deepEqual([(await messageOf(rt, storeId, id)).status, (await messageOf(rt, storeId, id)).lastError], ['queued', 'SMS provider answered 503']);
    provider.answer.status = 400;
    clock.advance(backoffMs(1));
    await delivery.run();
    const m = await messageOf(rt, storeId, id);
    assert.equal(m.status, 'failed');
    assert.equal(m.attempts, 2);
    assert.equal(m.reason, 'SMS provider answered 400');
    provider.answer.status = 201;
  });

  const inbound = (form: Record<string, string>, signature?: string) =>
    request(app)
      .post('/sms/inbound')
      .type('form')
      .set('X-Twilio-Signature', signature ?? providerSignature(AUTH_TOKEN, 'https://app.example/sms/inbound', form))
      .send(form);

  test('STOP flips sms consent to unsubscribed, START back to subscribed', async () => {
    const profileId = await newProfile(rt, storeId, { phone: '+14155550102', consent: { sms: 'subscribed' } });
    const other = await newStore(rt);
    const elsewhere = await newProfile(rt, other.id, { phone: '+14155550102', consent: { sms: 'subscribed' } });
    const form = { From: '+14155550102', To: '+15005550006', Body: ' stop ', MessageSid: 'SM1' };
    const res = await inbound(form);
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'] ?? '', /xml/);
    assert.equal((await getConsent(rt.db.pool, storeId, profileId))?.sms, 'unsubscribed');
    assert.equal((await getConsent(rt.db.pool, other.id, elsewhere))?.sms, 'unsubscribed', 'the shared number stops for every store');

    const queued = await enqueueMessage(rt.db.pool, smsMessage(storeId, profileId, '+14155550102'));
    await createMessageDelivery(rt).run();
    assert.deepEqual([(await messageOf(rt, storeId, queued.id)).status, (await messageOf(rt, storeId, queued.id)).reason], ['skipped', 'unsubscribed']);

    await inbound({ ...form, Body: 'START' });
    assert.equal((await getConsent(rt.db.pool, storeId, profileId))?.sms, 'subscribed');
    await inbound({ ...form, Body: 'what time do you open?' });
    assert.equal((await getConsent(rt.db.pool, storeId, profileId))?.sms, 'subscribed', 'other replies change nothing');
  });

  test('a keyword reply acts only for the stores owning the number it was sent to', async () => {
    const phone = '+14155550104';
    const subscribed = await newProfile(rt, storeId, { phone, consent: { sms: 'subscribed' } });
    const other = await newStore(rt);
    const neverAsked = await newProfile(rt, other.id, { phone, consent: { sms: 'never_subscribed' } });
    // A number that is not ours (SMS_FROM) belongs to no store: nothing changes.
    await inbound({ From: phone, To: '+15005559999', Body: 'STOP' });
    assert.equal((await getConsent(rt.db.pool, storeId, subscribed))?.sms, 'subscribed');
    const noTo = await inbound({ From: phone, Body: 'STOP' });
    assert.equal(noTo.status, 200);
    assert.equal((await getConsent(rt.db.pool, storeId, subscribed))?.sms, 'subscribed', 'a reply naming no number changes nothing');
    // START to our number never creates consent: the never-asked profile stays as it was.
    await inbound({ From: phone, To: '+15005550006', Body: 'START' });
    assert.equal((await getConsent(rt.db.pool, other.id, neverAsked))?.sms, 'never_subscribed');
    await inbound({ From: phone, To: '+15005550006', Body: 'STOP' });
    assert.equal((await getConsent(rt.db.pool, storeId, subscribed))?.sms, 'unsubscribed');
    assert.equal((await getConsent(rt.db.pool, other.id, neverAsked))?.sms, 'unsubscribed', 'STOP reaches every store sending from the number');
    await inbound({ From: phone, To: '+15005550006', Body: 'START' });
    assert.equal((await getConsent(rt.db.pool, storeId, subscribed))?.sms, 'subscribed', 'START undoes the STOP');
  });

  test('the signature is checked against APP_URL, not the Host header', async () => {
    const profileId = await newProfile(rt, storeId, { phone: '+14155550105', consent: { sms: 'subscribed' } });
    const form = { From: '+14155550105', To: '+15005550006', Body: 'STOP' };
    const res = await request(app)
      .post('/sms/inbound')
      .set('Host', 'attacker.example')
      .type('form')
      .set('X-Twilio-Signature', providerSignature(AUTH_TOKEN, 'http://attacker.example/sms/inbound', form))
      .send(form);
    assert.equal(res.status, 403);
    assert.equal((await getConsent(rt.db.pool, storeId, profileId))?.sms, 'subscribed');
  });

  test('an inbound request without a valid signature is refused', async () => {
    const profileId = await newProfile(rt, storeId, { phone: '+14155550103', consent: { sms: 'subscribed' } });
    const form = { From: '+14155550103', To: '+15005550006', Body: 'STOP' };
    const forged = await inbound(form, providerSignature('wrong-token', 'https://app.example/sms/inbound', form));
    assert.equal(forged.status, 403);
    assert.match(forged.headers['content-type'] ?? '', /^application\/problem\+json/);
    const missing = await request(app).post('/sms/inbound').type('form').send(form);
    assert.equal(missing.status, 403);
    assert.equal((await getConsent(rt.db.pool, storeId, profileId))?.sms, 'subscribed');
  });
});

describe('SMS replies without a configured provider', () => {
  let rt: TestRuntime;
  before(async () => {
    rt = await testRuntime();
  });
  after(async () => rt.dispose());

  test('POST /sms/inbound is 404 and changes nothing, whatever NODE_ENV says', async () => {
    for (const nodeEnv of ['development', 'test', 'production'] as const) {
      const app = createApp({ ...rt, config: { ...rt.config, nodeEnv } });
      const storeId = (await newStore(rt)).id;
      const profileId = await newProfile(rt, storeId, { phone: '+14155550110', consent: { sms: 'never_subscribed' } });
      const res = await request(app).post('/sms/inbound').type('form').send({ From: '+14155550110', Body: 'START' });
      assert.equal(res.status, 404, nodeEnv);
      assert.match(res.headers['content-type'] ?? '', /^application\/problem\+json/);
      assert.equal((await getConsent(rt.db.pool, storeId, profileId))?.sms, 'never_subscribed', nodeEnv);
    }
  });

  test('a provider URL without the token it signs with does not serve the route either', async () => {
    const app = createApp({ ...rt, config: { ...rt.config, sms: { providerUrl: 'https://sms.example/send', from: '+15005550006' } } });
    const res = await request(app).post('/sms/inbound').type('form').send({ From: '+14155550111', To: '+15005550006', Body: 'START' });
    assert.equal(res.status, 404);
  });
});
