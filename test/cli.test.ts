import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createTestDatabase } from './helpers/db.ts';
import { runCli } from './helpers/spawn.ts';

describe('cli on PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let env: Record<string, string>;
  let dataDir: string;

  before(async () => {
    db = await createTestDatabase();
    dataDir = await mkdtemp(join(tmpdir(), 'storeflow-cli-'));
    env = { DATABASE_URL: db.url, DATA_DIR: dataDir, ENCRYPTION_KEY: randomBytes(32).toString('base64') };
  });
  after(async () => {
    await db.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('two migrate commands at once both succeed and apply each migration once', async () => {
    const [a, b] = await Promise.all([runCli(['migrate'], env), runCli(['migrate'], env)]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query<{ name: string; n: number }>('SELECT name, count(*)::int AS n FROM schema_migrations GROUP BY name');
    await client.end();
    assert.ok(rows.length >= 1);
    for (const r of rows) assert.equal(r.n, 1);
    assert.match(a.stdout, /migrations up to date/);
  });

  test('store add --json prints exactly one JSON line with the id and keys', async () => {
    const r = await runCli(['store', 'add', '--platform', 'custom', '--domain', 'Shop.Example.com', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n').filter(Boolean);
    assert.equal(lines.length, 1);
    const out = JSON.parse(lines[0]!) as Record<string, string>;
    assert.deepEqual(Object.keys(out).sort(), ['privateKey', 'publicKey', 'storeId']);
    assert.match(out.storeId!, /^[0-9a-f-]{36}$/);
    assert.match(out.publicKey!, /^pk_/);
    assert.match(out.privateKey!, /^sk_/);
  });

  test('store add with a token keeps it encrypted', async () => {
    const token = `shpat_${randomBytes(16).toString('hex')}`;
    const r = await runCli(['store', 'add', '--platform', 'shopify', '--domain', 'tokens.myshopify.com', '--token', token, '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes(token) && !r.stderr.includes(token), 'the token is never printed');
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query<{ access_token_enc: string }>("SELECT access_token_enc FROM stores WHERE domain = 'tokens.myshopify.com'");
    await client.end();
    assert.ok(rows[0]!.access_token_enc.startsWith('v1.'));
    assert.ok(!rows[0]!.access_token_enc.includes(token));
  });

  test('a second store with the same domain is refused in one line, exit 1', async () => {
    const r = await runCli(['store', 'add', '--platform', 'custom', '--domain', 'shop.example.com'], env);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /already exists/);
  });

  test('bad arguments exit 2 with a reason and the usage', async () => {
    const bad = await runCli(['store', 'add', '--platform', 'magento', '--domain', 'x.example.com'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--platform must be one of/);
    const noDomain = await runCli(['store', 'add', '--platform', 'custom', '--domain', 'not a domain'], env);
    assert.equal(noDomain.code, 2);
    assert.match(noDomain.stderr, /--domain/);
    const unknown = await runCli(['frobnicate'], env);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command frobnicate/);
  });

  test('a wrong environment value exits 1 naming the variable', async () => {
    const r = await runCli(['migrate'], { ...env, PORT: 'eighty' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^storeflow: Invalid environment variable PORT/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });

  test('demo seeds a store, and running it again adds nothing twice', async () => {
    const first = await runCli(['demo'], env);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /12 products, 40 profiles/);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const count = async () =>
      (
        await client.query<{ products: number; profiles: number; events: number; items: number }>(
          `SELECT (SELECT count(*)::int FROM products p JOIN stores s ON s.id = p.store_id WHERE s.domain = 'demo.storeflow.test') AS products,
                  (SELECT count(*)::int FROM profiles p JOIN stores s ON s.id = p.store_id WHERE s.domain = 'demo.storeflow.test') AS profiles,
                  (SELECT count(*)::int FROM events e JOIN stores s ON s.id = e.store_id WHERE s.domain = 'demo.storeflow.test') AS events,
                  (SELECT count(*)::int FROM event_items i JOIN stores s ON s.id = i.store_id WHERE s.domain = 'demo.storeflow.test') AS items`,
        )
      ).rows[0]!;
    const before = await count();
    assert.equal(before.products, 12);
    assert.equal(before.profiles, 40);
    assert.ok(before.events > 300 && before.items >= before.events - 1);
    const second = await runCli(['demo'], env);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /keys rotated/);
    assert.deepEqual(await count(), before);
    await client.end();
  });
});
