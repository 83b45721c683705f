// The outbox contract the flow engine relies on, and delivery through the built-in outbox:
// dedupe, held messages, skips, consent at delivery time, crash recovery, concurrent loops.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { emailMessage, fakeClock, messageOf, newProfile, newStore, smsMessage } from './helpers/messaging-fixtures.ts';
import { enqueueMessage, InvalidMessageError, lastMessagedAt, recordSkip, releaseHeld, skipHeld, flowMessageStats } from '../src/messaging/outbox.ts';
import { createMessageDelivery } from '../src/jobs/deliver-messages.ts';
import { deliverDue } from '../src/messaging/deliver.ts';
import { createEmailTransport } from '../src/messaging/email-transport.ts';
import { createSmsTransport } from '../src/messaging/sms-transport.ts';
import { messageLinkKey } from '../src/messaging/links.ts';
import { claimDue } from '../src/db/repositories/messages.ts';
import { setConsent } from '../src/db/repositories/messaging-consent.ts';
import type { StoreId } from '../src/model/ids.ts';

describe('outbox', () => {
  let rt: TestRuntime;
  let storeId: StoreId;
  before(async () => {
    rt = await testRuntime();
    storeId = (await newStore(rt)).id;
  });
  after(async () => rt.dispose());

  test('the same dedupe key never makes a second message', async () => {
    const profileId = await newProfile(rt, storeId, { email: 'dedupe@example.com' });
    const m = emailMessage(storeId, profileId, 'Dedupe@Example.com');
    const first = await enqueueMessage(rt.db.pool, m);
    const second = await enqueueMessage(rt.db.pool, { ...m, subject: 'changed' });
    assert.equal(first.created, true);
    assert.equal(second.created, false);
    assert.equal(second.id, first.id);
    const stored = await messageOf(rt, storeId, first.id);
    assert.equal(stored.subject, 'Almost gone');
    assert.equal(stored.to, 'dedupe@example.com', 'recipient normalised');
    // A skip recorded under a key already used does not replace the message either.
    await recordSkip(rt.db.pool, { ...m, reason: 'smart sending' });
    assert.equal((await messageOf(rt, storeId, first.id)).status, 'queued');
  });

  test('an unsendable message is refused before it is stored', async () => {
    const profileId = await newProfile(rt, storeId);
    await assert.rejects(enqueueMessage(rt.db.pool, emailMessage(storeId, profileId, 'not-an-email')), InvalidMessageError);
    await assert.rejects(enqueueMessage(rt.db.pool, smsMessage(storeId, profileId, '+14155550100', { text: '' })), /SMS needs text/);
  });

  test('recordSkip keeps the reason, idempotently, and the stats count it', async () => {
    const profileId = await newProfile(rt, storeId);
    const m = emailMessage(storeId, profileId, 'skip@example.com');
    await recordSkip(rt.db.pool, { ...m, reason: 'sold out' });
    await recordSkip(rt.db.pool, { ...m, reason: 'sold out' });
    const stats = await flowMessageStats(rt.db.pool, storeId, m.flowId!);
    assert.deepEqual(stats.skipped, { 'sold out': 1 });
    assert.equal(stats.sent, 0);
  });

  test('held → release → sent; held → skip → skipped', async () => {
    const clock = fakeClock();
    const delivery = createMessageDelivery(rt, clock.now);
    const profileId = await newProfile(rt, storeId);
    const a = await enqueueMessage(rt.db.pool, emailMessage(storeId, profileId, 'held-a@example.com', { status: 'held' }));
    const b = await enqueueMessage(rt.db.pool, emailMessage(storeId, profileId, 'held-b@example.com', { status: 'held' }));
    await delivery.run();
    assert.equal((await messageOf(rt, storeId, a.id)).status, 'held', 'a held message is not delivered');

    assert.equal(await releaseHeld(rt.db.pool, storeId, a.id, 'merchant@shop.example'), true);
    assert.equal(await releaseHeld(rt.db.pool, storeId, a.id, 'merchant@shop.example'), false, 'only once');
    assert.equal(await skipHeld(rt.db.pool, storeId, b.id, 'merchant@shop.example', 'not this week'), true);
    assert.equal(await skipHeld(rt.db.pool, storeId, a.id, 'merchant@shop.example', 'too late'), false, 'released is no longer held');
    await delivery.run();

    const sent = await messageOf(rt, storeId, a.id);
    assert.equal(sent.status, 'sent');
    assert.equal(sent.provider, 'outbox');
    assert.match(sent.providerId ?? '', /^<[0-9a-f]{32}@/);
    assert.equal(sent.sentAt?.getTime(), clock.now().getTime());
    const skipped = await messageOf(rt, storeId, b.id);
    assert.equal(skipped.status, 'skipped');
    assert.equal(skipped.reason, 'not this week');
  });

  test('notBefore holds a message until the clock reaches it', async () => {
    const clock = fakeClock();
    const delivery = createMessageDelivery(rt, clock.now);
    const profileId = await newProfile(rt, storeId, { phone: '+14155550111', consent: { sms: 'subscribed' } });
    const { id } = await enqueueMessage(rt.db.pool, smsMessage(storeId, profileId, '+1 (415) 555-0111', { notBefore: new Date(clock.now().getTime() + 3_600_000) }));
    await delivery.run();
    assert.equal((await messageOf(rt, storeId, id)).status, 'queued');
    clock.advance(3_600_000);
    await delivery.run();
    const m = await messageOf(rt, storeId, id);
    assert.equal(m.status, 'sent');
    assert.equal(m.to, '+14155550111');
    assert.equal(m.providerId, `outbox:${id}`);
  });

  test('consent is checked again right before delivery', async () => {
    const delivery = createMessageDelivery(rt);
    const unsub = await newProfile(rt, storeId);
    const neverSms = await newProfile(rt, storeId, { phone: '+14155550122' });
    const never = await newProfile(rt, storeId, { consent: { email: 'never_subscribed' } });
    const e1 = await enqueueMessage(rt.db.pool, emailMessage(storeId, unsub, 'u@example.com'));
    const s1 = await enqueueMessage(rt.db.pool, smsMessage(storeId, neverSms, '+14155550122'));
    const e2 = await enqueueMessage(rt.db.pool, emailMessage(storeId, never, 'n@example.com'));
    await setConsent(rt.db.pool, storeId, unsub, 'email', 'unsubscribed');
    await delivery.run();
    assert.deepEqual(
      [await messageOf(rt, storeId, e1.id), await messageOf(rt, storeId, s1.id), await messageOf(rt, storeId, e2.id)].map((m) => [m.status, m.reason]),
      [['skipped', 'unsubscribed'], ['skipped', 'no sms consent'], ['sent', null]],
    );
  });

  test('lastMessagedAt counts sent and queued messages, not skipped ones', async () => {
    const profileId = await newProfile(rt, storeId);
    assert.equal(await lastMessagedAt(rt.db.pool, storeId, profileId, 'email'), null);
    await recordSkip(rt.db.pool, { ...emailMessage(storeId, profileId, 'l@example.com'), reason: 'no consent' });
    assert.equal(await lastMessagedAt(rt.db.pool, storeId, profileId, 'email'), null);
    await enqueueMessage(rt.db.pool, emailMessage(storeId, profileId, 'l@example.com'));
    assert.ok(await lastMessagedAt(rt.db.pool, storeId, profileId, 'email'));
    assert.equal(await lastMessagedAt(rt.db.pool, storeId, profileId, 'sms'), null);
  });

  test('a lapsed lease: the outbox delivers it again, a real provider fails it rather than risk a duplicate', async () => {
    const clock = fakeClock();
    const profileId = await newProfile(rt, storeId);
    const viaOutbox = await enqueueMessage(rt.db.pool, emailMessage(storeId, profileId, 'lapse1@example.com'));
    // A worker claims it and dies before recording anything.
    const claimed = await claimDue(rt.db.pool, { now: clock.now(), limit: 100, leaseMs: 60_000, providers: { email: 'outbox', sms: 'outbox' } });
    assert.ok(claimed.some((m) => m.id === viaOutbox.id));
    const viaSmtp = await enqueueMessage(rt.db.pool, emailMessage(storeId, profileId, 'lapse2@example.com'));
    await claimDue(rt.db.pool, { now: clock.now(), limit: 100, leaseMs: 60_000, providers: { email: 'smtp', sms: 'sms-http' } });

    const delivery = createMessageDelivery(rt, clock.now);
    await delivery.run();
    assert.equal((await messageOf(rt, storeId, viaOutbox.id)).status, 'sending', 'the lease still holds');
    clock.advance(60_001);
    await delivery.run();
    assert.equal((await messageOf(rt, storeId, viaOutbox.id)).status, 'sent');
    const failed = await messageOf(rt, storeId, viaSmtp.id);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.reason, 'interrupted during delivery');
  });

  test('two delivery loops on separate connections deliver each message exactly once', async () => {
    const profileId = await newProfile(rt, storeId);
    const ids = new Set<string>();
    for (let i = 0; i < 120; i++) ids.add((await enqueueMessage(rt.db.pool, emailMessage(storeId, profileId, `c${i}@example.com`))).id);
    const sends = new Map<string, number>();
    const countingEmail = createEmailTransport(undefined);
    const email = {
      ...countingEmail,
      async send(mail: Parameters<typeof countingEmail.send>[0]) {
        sends.set(mail.to, (sends.get(mail.to) ?? 0) + 1);
        await new Promise((r) => setImmediate(r));
        return countingEmail.send(mail);
      },
    };
    const pools = [new pg.Pool({ connectionString: rt.db.url, max: 2 }), new pg.Pool({ connectionString: rt.db.url, max: 2 })];
    try {
      const deps = pools.map((db) => ({
        db, email, sms: createSmsTransport({}), now: () => new Date(), appUrl: rt.config.appUrl, mailFrom: rt.config.mailFrom, linkKey: messageLinkKey(rt.secrets),
      }));
      const tallies = await Promise.all(deps.map((d) => deliverDue(d, { batch: 7 })));
      assert.equal(tallies[0]!.sent + tallies[1]!.sent, 120);
      assert.ok(tallies[0]!.sent > 0 && tallies[1]!.sent > 0, 'both loops took part');
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
    assert.equal(sends.size, 120);
    assert.ok([...sends.values()].every((n) => n === 1), 'no message handed to the transport twice');
    const { rows } = await rt.db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM messages WHERE id = ANY($1::uuid[]) AND status = 'sent'", [[...ids]]);
    assert.equal(rows[0]!.n, 120);
  });
});
