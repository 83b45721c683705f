// The merchant's people pages on Postgres: search over every identifier and the name, one
// profile's record, lists (create, rename refused while a flow starts from it, members), the CSV
// import (bad rows by line, consent only where the column says so, re-import changes nothing)
// and a spend segment built from the form.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import type { Express } from 'express';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { merchantStore } from './helpers/merchant-store.ts';
import type { Agent } from './helpers/browser-client.ts';
import { createApp } from '../src/web/app.ts';
import { ingestEvents } from '../src/ingest/ingest-events.ts';
import { ingestProfiles } from '../src/ingest/ingest-profiles.ts';
import { findPeople, personPage } from '../src/merchant/people.ts';
import { createList, listPage } from '../src/merchant/lists.ts';
import { importListCsv } from '../src/ingest/import-list-csv.ts';
import { createSegmentFromForm } from '../src/merchant/segment-pages.ts';
import { saveStoreLocale } from '../src/merchant/store-locale.ts';
import type { Store } from '../src/model/store.ts';

let rt: TestRuntime;
let app: Express;
let store: Store;
let agent: Agent;
let csrf: string;

const DAY = 86_400_000;
const order = (email: string, value: number, daysAgo: number, id: string, metric = 'Placed Order') => ({
  metric, profile: { email }, time: new Date(Date.now() - daysAgo * DAY), value, properties: { OrderID: id }, uniqueId: `${metric}:${id}`, items: [],
});

before(async () => {
  rt = await testRuntime();
  app = createApp(rt);
  ({ store, agent, csrf } = await merchantStore(rt, app, 'people.example'));
  await saveStoreLocale(rt.db.pool, store, { timezone: 'Europe/Berlin', currency: 'EUR' });
  await ingestProfiles(rt.db.pool, store.id, [
    { email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace', phone: '+441632960001', externalId: 'cust-1' },
    { email: 'grace@example.com', firstName: 'Grace', lastName: 'Hopper', consent: { email: 'subscribed' } },
    { email: 'alan@example.com', firstName: 'Alan', lastName: 'Turing' },
  ]);
  await ingestEvents(rt.db.pool, store.id, [
    order('ada@example.com', 300, 10, 'a1'), order('ada@example.com', 250, 100, 'a2'), order('ada@example.com', 900, 400, 'a3'),
    order('grace@example.com', 700, 20, 'g1'), order('grace@example.com', 400, 5, 'g1', 'Refunded Order'),
    order('alan@example.com', 80, 3, 't1'),
  ]);
});

after(async () => rt.dispose());

test('search finds people by the start of any identifier or part of the name, a page at a time', async () => {
  const emails = async (text: string) => (await findPeople(rt.db.pool, store.id, { text })).people.map((p) => p.email).sort();
  assert.deepEqual(await emails('ada@'), ['ada@example.com']);
  assert.deepEqual(await emails('+4416329'), ['ada@example.com']);
  assert.deepEqual(await emails('cust-'), ['ada@example.com']);
  assert.deepEqual(await emails('hopp'), ['grace@example.com']);
  assert.deepEqual(await emails('%'), [], 'a wildcard is taken literally');
  assert.equal((await emails('')).length, 3);

  const first = await findPeople(rt.db.pool, store.id, { text: '' }, 2);
  assert.equal(first.people.length, 2);
  assert.ok(first.nextAfter);
  const second = await findPeople(rt.db.pool, store.id, { text: '', afterId: first.nextAfter! }, 2);
  assert.equal(second.people.length, 1);
  assert.equal(second.nextAfter, null);

  const page = await agent.get('/app/people?q=Lovelace').expect(200);
  assert.match(page.text, /Ada Lovelace/);
  assert.doesNotMatch(page.text, /Grace/);
});

test('a profile shows its identifiers, consent with source and time, events newest first with money in the store currency', async () => {
  const id = (await findPeople(rt.db.pool, store.id, { text: 'grace@' })).people[0]!.id;
  const found = await personPage(rt.db.pool, store.id, id);
  assert.ok(found);
  assert.equal(found.person.consent.email.state, 'subscribed');
  assert.equal(found.person.consent.email.source, 'profile update');
  assert.ok(found.person.consent.email.at instanceof Date);
  assert.equal(found.person.consent.sms.at, null);
  assert.deepEqual(found.events.map((e) => e.metric), ['Refunded Order', 'Placed Order']);

  const html = (await agent.get(`/app/people/${id}`).expect(200)).text;
  assert.match(html, /<td>Email<\/td><td>grace@example.com<\/td>/);
  assert.match(html, /<td>Email<\/td><td>Subscribed<\/td><td>profile update<\/td><td>\d+ \w{3} \d{4}, \d\d:\d\d CE(S)?T<\/td>/);
  assert.match(html, /€700\.00/);
  await agent.get('/app/people/00000000-0000-4000-8000-000000000000').expect(404);
  await agent.get('/app/people/not-an-id').expect(404);
});

test('the CSV import: bad rows by line number, consent only where stated, names only where empty, and a re-import changes nothing', async () => {
  assert.deepEqual(await createList(rt.db.pool, store.id, { name: 'Fair 2026' }), { ok: true, name: 'Fair 2026' });
  const csv = [
    'Email,Phone,First Name,Email Consent,Notes',
    'new@example.com,,Nia,yes,met at the stand',
    'ada@example.com,,Someone Else,,',
    'not-an-email,,X,yes,',
    ',,Nobody,yes,',
    'grace@example.com,,,no,',
    'sms@example.com,+44 1632 960002,,maybe,',
    '"broken@example.com,,,yes',
  ].join('\r\n');
  const run = () => importListCsv(rt.db.pool, store.id, 'Fair 2026', Readable.from([Buffer.from(csv)]), 'owner');
  const first = await run();
  assert.equal(first.status, 'done');
  if (first.status !== 'done') return;
  assert.equal(first.report.rowsImported, 3);
  assert.equal(first.report.joined, 3);
  assert.equal(first.report.consentRecorded, 2, 'new@ subscribed, grace@ unsubscribed');
  assert.deepEqual(first.report.bad.slice(0, 3), [
    { line: 4, reason: 'the email is not an email address' },
    { line: 5, reason: 'the row has no email, phone or external id' },
    { line: 7, reason: 'consent must be yes, no or empty, not "maybe"' },
  ]);
  assert.equal(first.report.bad.length, 4, 'the unterminated quote is reported too');
  assert.match(first.report.bad[3]!.reason, /not valid CSV|could not be read/);
  assert.equal(first.report.bad[3]!.line, 8);

  const people = async (text: string) => personPage(rt.db.pool, store.id, (await findPeople(rt.db.pool, store.id, { text })).people[0]!.id);
  const nia = (await people('new@'))!.person;
  assert.equal(nia.firstName, 'Nia');
  assert.deepEqual([nia.consent.email.state, nia.consent.email.source], ['subscribed', 'csv import']);
  assert.equal(nia.consent.sms.state, 'never_subscribed');
  const ada = (await people('ada@'))!.person;
  assert.equal(ada.firstName, 'Ada', 'an import never overwrites a name');
  assert.equal(ada.consent.email.state, 'never_subscribed', 'an empty consent cell records nothing');
  const grace = (await people('grace@'))!.person;
  assert.deepEqual([grace.consent.email.state, grace.consent.email.source], ['unsubscribed', 'csv import']);
  assert.equal((await findPeople(rt.db.pool, store.id, { text: 'sms@' })).people.length, 0, 'a refused row writes nothing');

  const stampedAt = grace.consent.email.at!.getTime();
  const again = await run();
  assert.equal(again.status, 'done');
  if (again.status !== 'done') return;
  assert.deepEqual([again.report.joined, again.report.consentRecorded, again.report.rowsImported], [0, 0, 3]);
  assert.equal((await people('grace@'))!.person.consent.email.at!.getTime(), stampedAt, 'the first stamp is kept');
  const list = await listPage(rt.db.pool, store.id, 'Fair 2026');
  assert.equal(list?.list.members, 3);
  assert.equal(list?.imports.length, 2);
  const queued = await rt.db.pool.query("SELECT count(*)::int AS n FROM flow_trigger_queue WHERE store_id = $1 AND kind = 'list' AND list = 'Fair 2026'", [store.id]);
  assert.equal(queued.rows[0].n, 3, 'each new membership queued once for flows');

  const long = `email,first_name\nbefore@example.com,Bo\nlong@example.com,${'x'.repeat(20_000)}\nafter@example.com,Ana\n`;
  const oversized = await importListCsv(rt.db.pool, store.id, 'Fair 2026', Readable.from([Buffer.from(long)]), null);
  assert.equal(oversized.status, 'done');
  if (oversized.status === 'done') {
    assert.equal(oversized.report.outcome, 'stopped');
    assert.equal(oversized.report.rowsImported, 1, 'the rows before an over-long one are imported');
    assert.match(oversized.report.stoppedReason!, /at line 3 is longer than 16 kB/);
    assert.deepEqual(oversized.report.bad.map((b) => b.line), [3]);
  }

  const noColumns = await importListCsv(rt.db.pool, store.id, 'Fair 2026', Readable.from([Buffer.from('name,notes\nx,y\n')]), null);
  assert.equal(noColumns.status, 'no-columns');
});

test('the list pages: create, a refused empty name, add a member, import pasted rows, rename', async () => {
  const bad = await agent.post('/app/lists').type('form').send({ _csrf: csrf, name: '  ' });
  assert.equal(bad.status, 422);
  assert.match(bad.text, /enter a name for the list/);
  await agent.post('/app/lists').type('form').send({ _csrf: csrf, name: 'VIP evening' }).expect(303).expect('location', '/app/lists/VIP%20evening?done=created');
  await agent.post('/app/lists/VIP%20evening/members').type('form').send({ _csrf: csrf, who: 'alan@example.com' }).expect(303).expect('location', /done=added/);
  const wrong = await agent.post('/app/lists/VIP%20evening/members').type('form').send({ _csrf: csrf, who: '12345' });
  assert.equal(wrong.status, 422);
  assert.match(wrong.text, /country code/);
  await agent.post('/app/lists/VIP%20evening/import').type('form').send({ _csrf: csrf, csv: 'email,sms_consent,phone\nzoe@example.com,yes,+441632960003\n' }).expect(303);
  const page = (await agent.get('/app/lists/VIP%20evening').expect(200)).text;
  assert.match(page, /2 members/);
  assert.match(page, /zoe@example.com/);
  assert.match(page, /consent recorded for 1/);
  const streamed = await agent.post('/app/lists/VIP%20evening/import').set('content-type', 'text/csv').set('x-csrf-token', csrf).send('email\nyan@example.com\n');
  assert.equal(streamed.status, 303);
  const forged = await agent.post('/app/lists/VIP%20evening/import').set('content-type', 'text/csv').send('email\nevil@example.com\n');
  assert.equal(forged.status, 403);
  await agent.post('/app/lists/VIP%20evening/rename').type('form').send({ _csrf: csrf, name: 'VIP night' }).expect(303).expect('location', /VIP%20night/);
  const renamed = (await agent.get('/app/lists/VIP%20night').expect(200)).text;
  assert.match(renamed, /3 members/);
});

test('renaming or deleting a list a flow starts from is refused', async () => {
  await rt.db.pool.query(`INSERT INTO flows (store_id, name, trigger_type, trigger_key) VALUES ($1, 'Welcome fair visitors', 'list', 'Fair 2026')`, [store.id]);
  const res = await agent.post('/app/lists/Fair%202026/rename').type('form').send({ _csrf: csrf, name: 'Fair' });
  assert.equal(res.status, 409);
  assert.match(res.text, /Welcome fair visitors/);
  const del = await agent.post('/app/lists/Fair%202026/delete').type('form').send({ _csrf: csrf });
  assert.equal(del.status, 409);
  assert.equal((await listPage(rt.db.pool, store.id, 'Fair 2026'))?.list.members, 4, 'three from the first file, one before the over-long row');
});

test('a spend segment from the builder: Placed Order summed over 365 days, net of refunds, at least X', async () => {
  const form = { name: 'Big spenders', s_rows: '2', s_kind_0: 'spent', s_metric_0: 'Placed Order', s_days_0: '365', s_amount_0: '500' };
  const made = await createSegmentFromForm(rt.db.pool, store.id, form);
  assert.ok(made.ok);
  if (!made.ok) return;
  // Ada: 300 + 250 inside the year (900 is older); Grace: 700 less a 400 refund; Alan: 80.
  assert.equal(made.segment.members, 1);
  const page = (await agent.get(`/app/segments/${made.segment.id}`).expect(200)).text;
  assert.match(page, /Placed Order value, summed over 365 days, at least €500\.00, net of Refunded Order and Cancelled Order/);
  assert.match(page, /ada@example.com/);
  assert.match(page, /<rect /, 'the daily count chart');
  const list = (await agent.get('/app/segments').expect(200)).text;
  assert.match(list, /Big spenders<\/a><\/td><td>1<\/td>/);

  const refused = await agent.post('/app/segments').type('form').send({ _csrf: csrf, name: 'x', s_kind_0: 'spent', s_metric_0: 'Placed Order', s_days_0: '365', s_amount_0: 'lots' });
  assert.equal(refused.status, 422);
  assert.match(refused.text, /enter an amount such as 500 or 499\.99/);
  const posted = await agent.post('/app/segments').type('form').send({ _csrf: csrf, name: 'Recent buyers', s_kind_0: 'did', s_metric_0: 'Placed Order', s_count_0: '1', s_days_0: '30' });
  assert.equal(posted.status, 303);
  const recent = (await agent.get(posted.headers.location!).expect(200)).text;
  assert.match(recent, /<strong>3<\/strong> people match/);
  assert.match(recent, /has done Placed Order at least 1 time in the last 30 days/);
});

test('the scheduled segment pass writes one count a day per segment, the day in the store timezone; a later pass the same day overwrites it', async () => {
  const { runSegmentJob } = await import('../src/jobs/flow-jobs.ts');
  // 23:30 UTC on 1 June is already 2 June in Berlin.
  const late = new Date('2026-06-01T23:30:00Z');
  await runSegmentJob(rt, () => late);
  await runSegmentJob(rt, () => new Date('2026-06-02T08:00:00Z'));
  const { rows } = await rt.db.pool.query<{ name: string; day: string; n: number }>(
    `SELECT s.name, to_char(c.day, 'YYYY-MM-DD') AS day, count(*)::int AS n FROM segment_counts c JOIN segments s ON s.id = c.segment_id
     WHERE c.store_id = $1 AND c.day = '2026-06-02' GROUP BY s.name, c.day ORDER BY s.name`, [store.id]);
  assert.deepEqual(rows, [{ name: 'Big spenders', day: '2026-06-02', n: 1 }, { name: 'Recent buyers', day: '2026-06-02', n: 1 }]);
});
