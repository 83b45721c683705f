// Fault drill: the SMTP server is down when messages fall due and comes up between retries. Two
// delivery loops (two workers) share the outbox; each message is retried on its backoff, never
// before it, and reaches the server exactly once.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { emailMessage, fakeClock, messageOf, newProfile, newStore } from './helpers/messaging-fixtures.ts';
import { enqueueMessage } from '../src/messaging/outbox.ts';
import { createMessageDelivery, type MessageDelivery } from '../src/jobs/deliver-messages.ts';
import { backoffMs } from '../src/messaging/deliver.ts';
import type { MessageId, StoreId } from '../src/model/ids.ts';
import { freePort } from './helpers/free-port.ts';

describe('SMTP down, then up', () => {
  let rt: TestRuntime;
  let storeId: StoreId;
  let server: SMTPServer | undefined;
  const loops: MessageDelivery[] = [];
  const mails: ParsedMail[] = [];

  before(async () => {
    rt = await testRuntime({ env: { APP_URL: 'https://app.example' } });
    storeId = (await newStore(rt)).id;
  });
  after(async () => {
    for (const l of loops) l.close();
    if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
    await rt?.dispose();
  });

  test('each message is retried with backoff while the server is down and delivered exactly once after', async () => {
    const port = await freePort();
    const clock = fakeClock();
    const config = { ...rt.config, smtpUrl: `smtp://127.0.0.1:${port}` };
    loops.push(createMessageDelivery({ ...rt, config }, clock.now), createMessageDelivery({ ...rt, config }, clock.now));
    const runBoth = async () => {
      const [a, b] = await Promise.all(loops.map((l) => l.run()));
      return { sent: a!.sent + b!.sent, retried: a!.retried + b!.retried, failed: a!.failed + b!.failed };
    };

    const ids: MessageId[] = [];
    for (let i = 0; i < 6; i++) {
      const to = `drill-${i}@example.com`;
      const profileId = await newProfile(rt, storeId, { email: to });
      ids.push((await enqueueMessage(rt.db.pool, emailMessage(storeId, profileId, to, { subject: `Drill ${i}` }))).id);
    }
    const statuses = async () => Promise.all(ids.map(async (id) => messageOf(rt, storeId, id)));

    // Down: every message fails its first attempt and is put back with a backoff.
    assert.deepEqual(await runBoth(), { sent: 0, retried: 6, failed: 0 });
    for (const m of await statuses()) assert.deepEqual([m.status, m.attempts], ['queued', 1]);

    // Not before the backoff has passed.
    clock.advance(backoffMs(1) - 1);
    assert.deepEqual(await runBoth(), { sent: 0, retried: 0, failed: 0 });
    clock.advance(1);
    assert.deepEqual(await runBoth(), { sent: 0, retried: 6, failed: 0 });
    for (const m of await statuses()) assert.deepEqual([m.status, m.attempts], ['queued', 2]);

    // Up, on the same address.
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, _session, cb) {
        simpleParser(stream).then((m) => {
          mails.push(m);
          cb();
        }, cb);
      },
    });
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    assert.deepEqual(await runBoth(), { sent: 0, retried: 0, failed: 0 }, 'a server coming up does not cut a backoff short');

    clock.advance(backoffMs(2));
    assert.deepEqual(await runBoth(), { sent: 6, retried: 0, failed: 0 });
    // Much later, with everything due that ever could be: nothing goes out again.
    clock.advance(24 * 3_600_000);
    assert.deepEqual(await runBoth(), { sent: 0, retried: 0, failed: 0 });

    for (const m of await statuses()) assert.deepEqual([m.status, m.attempts, m.provider], ['sent', 3, 'smtp']);
    assert.equal(mails.length, 6);
    assert.deepEqual(mails.map((m) => m.subject).sort(), ids.map((_, i) => `Drill ${i}`));
    assert.equal(new Set(mails.map((m) => m.messageId)).size, 6, 'one mail per message');
  });
});
