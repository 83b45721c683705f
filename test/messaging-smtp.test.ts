// Email over real SMTP: a loopback smtp-server receives the mail and mailparser reads it back.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { emailMessage, fakeClock, messageOf, newProfile, newStore } from './helpers/messaging-fixtures.ts';
import { enqueueMessage } from '../src/messaging/outbox.ts';
import { createMessageDelivery } from '../src/jobs/deliver-messages.ts';
import { backoffMs, MAX_ATTEMPTS } from '../src/messaging/deliver.ts';
import { messageLinkKey, readClickToken, readOpenToken, readUnsubscribeToken } from '../src/messaging/links.ts';
import { messageIdFor } from '../src/messaging/email-compose.ts';
import type { StoreId } from '../src/model/ids.ts';

type Inbox = { server: SMTPServer; url: string; mails: ParsedMail[]; rejectRcpt: Set<string> };

async function startSmtp(): Promise<Inbox> {
  const mails: ParsedMail[] = [];
  const rejectRcpt = new Set<string>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, cb) {
      if (rejectRcpt.has(address.address)) {
        const err = Object.assign(new Error('mailbox unavailable'), { responseCode: 550 });
        return cb(err);
      }
      cb();
    },
    onData(stream, _session, cb) {
      simpleParser(stream).then((m) => {
        mails.push(m);
        cb();
      }, cb);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return { server, url: `smtp://127.0.0.1:${port}`, mails, rejectRcpt };
}

/** A port nothing listens on: bound, then released. */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

const header = (mail: ParsedMail, name: string): string | undefined =>
  mail.headerLines.find((h) => h.key === name)?.line.replace(/\r?\n\s+/g, ' ').replace(/^[^:]+:\s*/, '');

describe('email over SMTP', () => {
  let rt: TestRuntime;
  let inbox: Inbox;
  let storeId: StoreId;
  before(async () => {
    inbox = await startSmtp();
    rt = await testRuntime({ env: { APP_URL: 'https://app.example', MAIL_FROM: 'Shop <news@shop.example>' } });
    storeId = (await newStore(rt)).id;
  });
  after(async () => {
    await rt.dispose();
    await new Promise<void>((resolve) => inbox.server.close(() => resolve()));
  });

  test('the mail arrives with one-click unsubscribe headers, tracked links and the pixel', async () => {
    const delivery = createMessageDelivery({ ...rt, config: { ...rt.config, smtpUrl: inbox.url } });
    const profileId = await newProfile(rt, storeId, { email: 'ada@example.com' });
    const m = emailMessage(storeId, profileId, 'ada@example.com', { subject: 'Only 2 left: Linen Shirt' });
    const { id } = await enqueueMessage(rt.db.pool, m);
    try {
      const tally = await delivery.run();
      assert.equal(tally.sent, 1);
    } finally {
      delivery.close();
    }
    const stored = await messageOf(rt, storeId, id);
    assert.equal(stored.status, 'sent');
    assert.equal(stored.provider, 'smtp');

    const mail = inbox.mails.find((x) => x.subject === 'Only 2 left: Linen Shirt');
    assert.ok(mail, 'received');
    assert.equal(mail.messageId, messageIdFor({ storeId, dedupeKey: m.dedupeKey }, rt.config.mailFrom));
    assert.equal(mail.from?.value[0]?.address, 'news@shop.example');
    const key = messageLinkKey(rt.secrets);

    const listUnsub = header(mail, 'list-unsubscribe') ?? '';
    const [https, mailto] = listUnsub.split(/,\s*/);
    const httpsUrl = https!.slice(1, -1);
    assert.ok(httpsUrl.startsWith('https://app.example/u/'));
    assert.deepEqual(readUnsubscribeToken(key, httpsUrl.split('/u/')[1]!), { storeId, profileId, channel: 'email' });
    assert.match(mailto!, /^<mailto:news@shop\.example\?subject=unsubscribe%20[\w-]+>$/);
    assert.equal(header(mail, 'list-unsubscribe-post'), 'List-Unsubscribe=One-Click');

    const html = String(mail.html);
    assert.ok(!html.includes('href="https://shop.example'), 'no untracked link left');
    const click = /href="https:\/\/app\.example\/c\/([\w-]+)"/.exec(html);
    assert.equal(readClickToken(key, click![1]!)?.url, 'https://shop.example/p/1?a=1&b=2');
    const pixel = /<img src="https:\/\/app\.example\/o\/([\w-]+)"/.exec(html);
    assert.deepEqual(readOpenToken(key, pixel![1]!), { storeId, messageId: id });
    assert.match(mail.text ?? '', /Unsubscribe: https:\/\/app\.example\/u\//);
  });

  test('a permanent refusal (5xx) fails the message at once', async () => {
    inbox.rejectRcpt.add('gone@example.com');
    const delivery = createMessageDelivery({ ...rt, config: { ...rt.config, smtpUrl: inbox.url } });
    const profileId = await newProfile(rt, storeId);
    const { id } = await enqueueMessage(rt.db.pool, emailMessage(storeId, profileId, 'gone@example.com'));
    try {
      await delivery.run();
    } finally {
      delivery.close();
    }
    const m = await messageOf(rt, storeId, id);
    assert.equal(m.status, 'failed');
    assert.equal(m.attempts, 1);
    assert.match(m.reason ?? '', /SMTP 550/);
  });

  test('SMTP down: retried with growing backoff, failed after the limit', async () => {
    const clock = fakeClock();
    const delivery = createMessageDelivery({ ...rt, config: { ...rt.config, smtpUrl: `smtp://127.0.0.1:${await deadPort()}` } }, clock.now);
    const profileId = await newProfile(rt, storeId);
    const { id } = await enqueueMessage(rt.db.pool, emailMessage(storeId, profileId, 'later@example.com'));
    try {
      for (let attempt = 1; attempt < MAX_ATTEMPTS; attempt++) {
        await delivery.run();
        const m = await messageOf(rt, storeId, id);
        assert.equal(m.status, 'queued', `attempt ${attempt} is retried`);
        assert.equal(m.attempts, attempt);
        assert.ok(m.lastError);
        // Not due again before its backoff has passed.
        clock.advance(backoffMs(attempt) - 1);
        await delivery.run();
        assert.equal((await messageOf(rt, storeId, id)).attempts, attempt, 'waits out the backoff');
        clock.advance(1);
      }
      await delivery.run();
    } finally {
      delivery.close();
    }
    const m = await messageOf(rt, storeId, id);
    assert.equal(m.status, 'failed');
    assert.equal(m.attempts, MAX_ATTEMPTS);
    assert.match(m.reason ?? '', new RegExp(`gave up after ${MAX_ATTEMPTS} attempts`));
    assert.ok(backoffMs(2) > backoffMs(1) && backoffMs(3) > backoffMs(2), 'backoff grows');
  });
});
