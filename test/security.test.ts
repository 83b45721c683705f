// Secrets at rest and API keys: a database dump must reveal neither platform access tokens
// nor private keys, and a tampered ciphertext must never decrypt to something.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import request from 'supertest';
import { testRuntime, type TestRuntime } from './helpers/db.ts';
import { createStore, rotateKeys, StoreExistsError } from '../src/stores/create-store.ts';
import { readSealedAccessToken } from '../src/db/repositories/stores.ts';
import { createSecretBox } from '../src/security/secret-box.ts';
import { hashKey, issueKeys, keyMatches, privateKeyId } from '../src/security/api-keys.ts';
import { resolveEncryptionKey } from '../src/security/encryption-key.ts';
import { createLogger } from '../src/logger.ts';
import { createApp } from '../src/web/app.ts';

let rt: TestRuntime;

before(async () => {
  rt = await testRuntime();
});

after(async () => {
  await rt.dispose();
});

describe('access tokens at rest', () => {
  test('a store access token is stored sealed and opens back to the token', async () => {
    const token = 'shpat_0123456789abcdef0123456789abcdef';
    const { store } = await createStore(rt.db.pool, rt.secrets, { platform: 'shopify', domain: 'sealed.myshopify.com', accessToken: token, scopes: ['read_products'] });
    const { rows } = await rt.db.pool.query<{ access_token_enc: string; row: string }>(
      'SELECT access_token_enc, s::text AS row FROM stores s WHERE id = $1',
      [store.id],
    );
    const sealed = rows[0]!.access_token_enc;
    assert.ok(sealed.startsWith('v1.'));
    assert.ok(!sealed.includes(token));
    assert.ok(!rows[0]!.row.includes(token), 'no column of the row holds the token in clear');
    assert.ok(!rows[0]!.row.includes(Buffer.from(token).toString('base64')));
    assert.equal(await readSealedAccessToken(rt.db.pool, store.id), sealed);
    assert.equal(rt.secrets.open(sealed), token);
  });

  test('a store without a token stores none', async () => {
    const { store } = await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: 'no-token.example' });
    assert.equal(await readSealedAccessToken(rt.db.pool, store.id), null);
  });

  test('sealing the same token twice gives different ciphertexts', () => {
    const a = rt.secrets.seal('same');
    const b = rt.secrets.seal('same');
    assert.notEqual(a, b);
    assert.equal(rt.secrets.open(a), 'same');
    assert.equal(rt.secrets.open(b), 'same');
  });

  test('a tampered sealed value fails to open', () => {
    const sealed = rt.secrets.seal('secret-token-value');
    const [version, iv, tag, body] = sealed.split('.') as [string, string, string, string];
    const flip = (s: string) => {
      const bytes = Buffer.from(s, 'base64url');
      bytes[0] = bytes[0]! ^ 0x01;
      return bytes.toString('base64url');
    };
    const tampered = [
      [version, iv, tag, flip(body)].join('.'),
      [version, iv, flip(tag), body].join('.'),
      [version, flip(iv), tag, body].join('.'),
      ['v2', iv, tag, body].join('.'),
      [version, iv, tag].join('.'),
      'not sealed at all',
    ];
    for (const t of tampered) assert.throws(() => rt.secrets.open(t), `opened a tampered value: ${t}`);
  });

  test('a value sealed under another key does not open', () => {
    const other = createSecretBox(randomBytes(32));
    assert.throws(() => rt.secrets.open(other.seal('token')));
  });

  test('a secret box refuses a key that is not 32 bytes', () => {
    assert.throws(() => createSecretBox(randomBytes(16)), /32 bytes/);
  });
});

describe('encryption key under DATA_DIR', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'storeflow-key-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('is generated once with owner-only permissions and reused afterwards', async () => {
    const first = await resolveEncryptionKey(undefined, dir);
    assert.equal(first.generated, true);
    assert.equal(first.key.length, 32);
    const mode = (await stat(join(dir, 'encryption.key'))).mode & 0o777;
    assert.equal(mode, 0o600);
    const second = await resolveEncryptionKey(undefined, dir);
    assert.equal(second.generated, false);
    assert.ok(second.key.equals(first.key));
  });

  test('a configured key wins and nothing is written', async () => {
    const configured = randomBytes(32);
    const other = await mkdtemp(join(tmpdir(), 'storeflow-key-'));
    try {
      const r = await resolveEncryptionKey(configured, other);
      assert.ok(r.key.equals(configured));
      await assert.rejects(readFile(join(other, 'encryption.key')), { code: 'ENOENT' });
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  test('a damaged key file is an error, never silently replaced', async () => {
    const damaged = await mkdtemp(join(tmpdir(), 'storeflow-key-'));
    try {
      await writeFile(join(damaged, 'encryption.key'), 'c2hvcnQ=\n');
      await assert.rejects(resolveEncryptionKey(undefined, damaged), /32-byte/);
      assert.equal(await readFile(join(damaged, 'encryption.key'), 'utf8'), 'c2hvcnQ=\n');
    } finally {
      await rm(damaged, { recursive: true, force: true });
    }
  });
});

describe('API keys', () => {
  test('issued keys have the documented shapes and are unique', () => {
    const a = issueKeys();
    const b = issueKeys();
    assert.match(a.publicKey, /^pk_[A-Za-z0-9_-]{16}$/);
    assert.match(a.privateKey, /^sk_[A-Za-z0-9_-]{12}_[A-Za-z0-9_-]{32}$/);
    assert.equal(privateKeyId(a.privateKey), a.privateKeyId);
    assert.ok(a.privateKeyHash.equals(hashKey(a.privateKey)));
    assert.equal(a.privateKeyHash.length, 32);
    assert.notEqual(a.privateKey, b.privateKey);
    assert.notEqual(a.publicKey, b.publicKey);
    assert.notEqual(a.privateKeyId, b.privateKeyId);
  });

  test('privateKeyId accepts only well-formed private keys', () => {
    const { privateKey } = issueKeys();
    for (const bad of ['', 'sk_', `${privateKey}x`, privateKey.slice(0, -1), privateKey.replace(/^sk_/, 'pk_'), `Bearer ${privateKey}`, 'sk_abcdefghijkl_' + '!'.repeat(32)]) {
      assert.equal(privateKeyId(bad), undefined, bad);
    }
  });

  test('keyMatches compares against the stored hash only', () => {
    const { privateKey, privateKeyHash } = issueKeys();
    assert.equal(keyMatches(privateKey, privateKeyHash), true);
    const altered = privateKey.slice(0, -1) + (privateKey.endsWith('A') ? 'B' : 'A');
    assert.equal(keyMatches(altered, privateKeyHash), false);
    assert.equal(keyMatches(privateKey, privateKeyHash.subarray(0, 16)), false, 'a truncated hash never matches');
    assert.equal(keyMatches(privateKey, Buffer.alloc(0)), false);
  });

  test('the database holds only the hash of the private key', async () => {
    const created = await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: 'hash-only.example' });
    const { rows } = await rt.db.pool.query<{ row: string; private_key_hash: Buffer; private_key_id: string; public_key: string }>(
      'SELECT s::text AS row, private_key_hash, private_key_id, public_key FROM stores s WHERE id = $1',
      [created.store.id],
    );
    const secretPart = created.privateKey.slice(16);
    assert.ok(!rows[0]!.row.includes(secretPart));
    assert.ok(rows[0]!.private_key_hash.equals(hashKey(created.privateKey)));
    assert.equal(rows[0]!.private_key_id, privateKeyId(created.privateKey));
    assert.equal(rows[0]!.public_key, created.publicKey);
  });

  test('rotating keys stops the old private key at once and the new one works', async () => {
    const app = createApp(rt);
    const created = await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: 'rotate.example' });
    const ok = await request(app).get('/api/v1/catalog/products').set('Authorization', `Bearer ${created.privateKey}`);
    assert.equal(ok.status, 200);
    const rotated = await rotateKeys(rt.db.pool, created.store);
    assert.notEqual(rotated.privateKey, created.privateKey);
    assert.notEqual(rotated.publicKey, created.publicKey);
    const old = await request(app).get('/api/v1/catalog/products').set('Authorization', `Bearer ${created.privateKey}`);
    assert.equal(old.status, 401);
    const fresh = await request(app).get('/api/v1/catalog/products').set('Authorization', `Bearer ${rotated.privateKey}`);
    assert.equal(fresh.status, 200);
  });

  test('a second store with the same platform and domain is refused', async () => {
    await createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: 'Twice.Example' });
    await assert.rejects(createStore(rt.db.pool, rt.secrets, { platform: 'custom', domain: ' twice.example ' }), StoreExistsError);
    const { rows } = await rt.db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM stores WHERE domain = 'twice.example'");
    assert.equal(rows[0]!.n, 1);
  });
});

describe('logs', () => {
  test('keys, tokens and auth headers are redacted from log lines', () => {
    let out = '';
    const sink = new Writable({
      write(chunk, _enc, done) {
        out += String(chunk);
        done();
      },
    });
    const { privateKey } = issueKeys();
    const logger = createLogger('info', sink);
    logger.info({ req: { headers: { authorization: `Bearer ${privateKey}`, cookie: 'sid=abc123secret' } } }, 'request');
    logger.info({ store: { accessToken: 'shpat_leak', privateKey }, user: { password: 'hunter2hunter2' } }, 'objects');
    assert.ok(!out.includes(privateKey));
    assert.ok(!out.includes('abc123secret'));
    assert.ok(!out.includes('shpat_leak'));
    assert.ok(!out.includes('hunter2hunter2'));
    assert.equal(out.match(/\[redacted\]/g)?.length, 5);
  });
});
