// Templates, signed links and email composition: pure functions, no database.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { checkTemplate, renderTemplate } from '../src/messaging/templates.ts';
import {
  clickUrl,
  openUrl,
  readClickToken,
  readOpenToken,
  readUnsubscribeToken,
  unsubscribeUrl,
} from '../src/messaging/links.ts';
import { composeEmail, messageIdFor } from '../src/messaging/email-compose.ts';
import { withStopNotice } from '../src/messaging/sms-transport.ts';
import { keywordOf, isGenuineSignature, providerSignature } from '../src/messaging/inbound-sms.ts';
import type { StoredMessage } from '../src/db/repositories/messages.ts';
import type { MessageId, ProfileId, StoreId } from '../src/model/ids.ts';

const key = randomBytes(32);
const storeId = randomUUID() as StoreId;
const profileId = randomUUID() as ProfileId;
const messageId = randomUUID() as MessageId;
const APP = 'https://app.example';
const tokenOf = (url: string): string => url.split('/').pop()!;

describe('templates', () => {
  test('a syntax error is reported with its line', () => {
    const r = checkTemplate('Hello\n{% if profile.vip %}\n{{ profile.firstName ');
    assert.equal(r.ok, false);
    assert.match((r as { error: string }).error, /line:3/);
    assert.deepEqual(checkTemplate('Hi {{ profile.firstName | default: "there" }}'), { ok: true });
  });

  test('templates cannot reach the file system', async () => {
    for (const source of ['{% include "/etc/passwd" %}', '{% render "x" %}', '{% layout "base" %}']) {
      const r = checkTemplate(source);
      assert.equal(r.ok, false, source);
      await assert.rejects(renderTemplate(source, {}));
    }
  });

  test('missing variables render empty and are named', async () => {
    const r = await renderTemplate(
      'Hi {{ profile.firstName }} {{ profile.lastName }}! {{ product.title }} ({{ items.size }}) {% for i in items %}{{ i.name }}{% endfor %}{{ store.name }}',
      { profile: { firstName: 'Ada' }, items: [{ name: 'Shirt' }], store: {} },
    );
    assert.equal(r.output, 'Hi Ada !  (1) Shirt');
    assert.deepEqual(r.missing, ['product.title', 'profile.lastName', 'store.name']);
  });

  test('unknown filters are ignored, prototypes are not reachable, HTML escaping on request', async () => {
    assert.equal((await renderTemplate('{{ "a" | nosuchfilter }}', {})).output, 'a');
    assert.equal((await renderTemplate('{{ p.constructor }}{{ p.__proto__ }}', { p: {} })).output, '');
    const vars = { profile: { firstName: '<script>x</script>' } };
    assert.equal((await renderTemplate('{{ profile.firstName }}', vars, { escapeHtml: true })).output, '&lt;script&gt;x&lt;/script&gt;');
    assert.equal((await renderTemplate('{{ profile.firstName }}', vars)).output, '<script>x</script>');
  });
});

describe('signed links', () => {
  test('unsubscribe token round-trips and refuses alteration, other keys and other kinds', () => {
    const url = unsubscribeUrl(APP, key, storeId, profileId, 'sms');
    assert.ok(url.startsWith(`${APP}/u/`));
    const token = tokenOf(url);
    assert.deepEqual(readUnsubscribeToken(key, token), { storeId, profileId, channel: 'sms' });
    const raw = Buffer.from(token, 'base64url');
    raw[20] = raw[20]! ^ 1;
    assert.equal(readUnsubscribeToken(key, raw.toString('base64url')), null);
    assert.equal(readUnsubscribeToken(randomBytes(32), token), null);
    assert.equal(readUnsubscribeToken(key, 'not a token'), null);
    assert.equal(readUnsubscribeToken(key, tokenOf(openUrl(APP, key, storeId, messageId))), null, 'an open token is not an unsubscribe token');
  });

  test('click tokens carry their target and accept only http(s)', () => {
    const target = 'https://shop.example/p/1?a=1&b=2';
    const t = readClickToken(key, tokenOf(clickUrl(APP, key, storeId, messageId, target)));
    assert.deepEqual(t, { storeId, messageId, url: target });
    assert.throws(() => clickUrl(APP, key, storeId, messageId, 'javascript:alert(1)'));
    assert.deepEqual(readOpenToken(key, tokenOf(openUrl(APP, key, storeId, messageId))), { storeId, messageId });
  });
});

describe('email composition', () => {
  const m: StoredMessage = {
    storeId, id: messageId, seq: 1, dedupeKey: 'run-1:s1', flowId: null, flowVersion: null, runId: null, stepId: null, abBranch: null,
    profileId, channel: 'email', to: 'ada@example.com', subject: 'Hi',
    html: '<body><a href="https://shop.example/x?a=1&amp;b=2">x</a> <a href="mailto:help@shop.example">help</a> <a href="#top">top</a></body>',
    text: 'plain', status: 'sending', reason: null, attempts: 1, provider: 'smtp', providerId: null, lastError: null,
    createdAt: new Date(), sentAt: null, openedAt: null, clickedAt: null,
  };
  const ctx = { appUrl: APP, linkKey: key, mailFrom: 'Shop <news@shop.example>' };

  test('links are rewritten to signed redirects, other hrefs kept, pixel and unsubscribe added', () => {
    const mail = composeEmail(m, ctx);
    const hrefs = [...mail.html!.matchAll(/href="([^"]+)"/g)].map((x) => x[1]!);
    assert.equal(readClickToken(key, tokenOf(hrefs[0]!))?.url, 'https://shop.example/x?a=1&b=2');
    assert.equal(hrefs[1], 'mailto:help@shop.example');
    assert.equal(hrefs[2], '#top');
    assert.ok(hrefs[3]!.startsWith(`${APP}/u/`), 'a visible unsubscribe link is added');
    assert.match(mail.html!, new RegExp(`<img src="${APP}/o/[A-Za-z0-9_-]+" width="1" height="1"[^>]*></body>$`));
    assert.match(mail.text!, /Unsubscribe: https:\/\/app\.example\/u\//);
    assert.equal(mail.headers['List-Unsubscribe-Post'], 'List-Unsubscribe=One-Click');
    assert.match(mail.headers['List-Unsubscribe']!, /^<https:\/\/app\.example\/u\/[\w-]+>, <mailto:news@shop\.example\?subject=unsubscribe%20[\w-]+>$/);
    assert.equal(mail.messageId, messageIdFor(m, ctx.mailFrom));
    assert.match(mail.messageId, /^<[0-9a-f]{32}@shop\.example>$/);
    assert.deepEqual(composeEmail(m, ctx), mail, 'deterministic: a retry composes the same mail');
  });
});

describe('sms helpers', () => {
  test('the STOP notice is appended once', () => {
    assert.equal(withStopNotice('Sale today'), 'Sale today\nReply STOP to opt out');
    assert.equal(withStopNotice('Sale. Text STOP to quit'), 'Sale. Text STOP to quit');
  });

  test('keywords and provider signatures', () => {
    for (const w of ['STOP', ' stop ', 'StopAll', 'unsubscribe', 'CANCEL', 'end', 'QUIT']) assert.equal(keywordOf(w), 'stop', w);
    assert.equal(keywordOf('start'), 'start');
    assert.equal(keywordOf('please stop sending'), null);
    const params = { From: '+14155550100', Body: 'STOP' };
    const sig = providerSignature('secret', 'https://app.example/sms/inbound', params);
    assert.equal(isGenuineSignature('secret', 'https://app.example/sms/inbound', params, sig), true);
    assert.equal(isGenuineSignature('secret', 'https://app.example/sms/inbound', { ...params, Body: 'START' }, sig), false);
    assert.equal(isGenuineSignature('secret', 'https://app.example/sms/inbound', params, undefined), false);
  });
});
