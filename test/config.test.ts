// Environment parsing: sensible defaults for the zero-setup mode, and a bad value stops the
// process with one line that names the variable to fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig } from '../src/config.ts';

function assertConfigError(env: Record<string, string>, variable: string): void {
  assert.throws(
    () => loadConfig(env),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
      assert.equal(err.name, 'ConfigError');
      assert.ok(!err.message.includes('\n'), `one line: ${JSON.stringify(err.message)}`);
      assert.match(err.message, new RegExp(`\\b${variable}\\b`));
      return true;
    },
  );
}

test('defaults apply when nothing is set', () => {
  const c = loadConfig({});
  assert.equal(c.port, 3000);
  assert.equal(c.dataDir, './data');
  assert.equal(c.appUrl, 'http://localhost:3000');
  assert.equal(c.databaseUrl, undefined);
  assert.equal(c.encryptionKey, undefined);
  assert.equal(c.nodeEnv, 'development');
  assert.equal(c.logLevel, 'info');
  assert.equal(c.apiRateLimit, 600);
  assert.equal(c.deliveryRetentionDays, 7);
  assert.equal(c.smtpUrl, undefined);
  assert.ok(c.mailFrom.length > 0);
  assert.deepEqual(c.shopify.scopes, [
    'read_products',
    'read_inventory',
    'read_orders',
    'read_customers',
    'read_checkouts',
    'write_pixels',
    'read_customer_events',
  ]);
});

test('the given env is read instead of process.env', () => {
  const c = loadConfig({ PORT: '4321' });
  assert.equal(c.port, 4321);
  assert.equal(c.appUrl, 'http://localhost:4321');
});

test('set values are parsed and typed', () => {
  const key = randomBytes(32);
  const c = loadConfig({
    PORT: '8080',
    APP_URL: 'https://storeflow.example.com/',
    DATABASE_URL: 'postgresql://app@db.internal:5432/storeflow',
    DATA_DIR: '/var/lib/storeflow',
    ENCRYPTION_KEY: key.toString('base64'),
    SHOPIFY_SCOPES: 'read_products, read_orders,,',
    API_RATE_LIMIT: '50',
    LOG_LEVEL: 'warn',
  });
  assert.equal(c.port, 8080);
  assert.equal(c.appUrl, 'https://storeflow.example.com', 'the trailing slash is dropped so URLs join cleanly');
  assert.equal(c.databaseUrl, 'postgresql://app@db.internal:5432/storeflow');
  assert.equal(c.dataDir, '/var/lib/storeflow');
  assert.ok(c.encryptionKey?.equals(key));
  assert.deepEqual(c.shopify.scopes, ['read_products', 'read_orders']);
  assert.equal(c.apiRateLimit, 50);
  assert.equal(c.logLevel, 'warn');
  assert.equal(loadConfig({ DATABASE_URL: 'postgres://localhost/x' }).databaseUrl, 'postgres://localhost/x');
});

test('empty strings count as unset', () => {
  const c = loadConfig({ PORT: '', DATA_DIR: '', DATABASE_URL: '', ENCRYPTION_KEY: '', APP_URL: '', SMTP_URL: '', API_RATE_LIMIT: '', LOG_LEVEL: '' });
  assert.equal(c.port, 3000);
  assert.equal(c.dataDir, './data');
  assert.equal(c.databaseUrl, undefined);
  assert.equal(c.encryptionKey, undefined);
  assert.equal(c.appUrl, 'http://localhost:3000');
  assert.equal(c.smtpUrl, undefined);
  assert.equal(c.apiRateLimit, 600);
  assert.equal(c.logLevel, 'info');
});

test('a bad PORT is a one-line ConfigError naming PORT', () => {
  for (const PORT of ['abc', '70000', '-1', '80.5']) assertConfigError({ PORT }, 'PORT');
});

test('a bad ENCRYPTION_KEY is a one-line ConfigError naming ENCRYPTION_KEY', () => {
  for (const ENCRYPTION_KEY of ['short', randomBytes(16).toString('base64'), randomBytes(33).toString('base64')]) {
    assertConfigError({ ENCRYPTION_KEY }, 'ENCRYPTION_KEY');
  }
});

test('a bad DATABASE_URL is a one-line ConfigError naming DATABASE_URL', () => {
  for (const DATABASE_URL of ['mysql://root@localhost/db', 'localhost:5432', 'http://db/x']) assertConfigError({ DATABASE_URL }, 'DATABASE_URL');
});

test('other invalid values name their variable too', () => {
  assertConfigError({ LOG_LEVEL: 'loud' }, 'LOG_LEVEL');
  assertConfigError({ APP_URL: 'not a url' }, 'APP_URL');
  assertConfigError({ SMTP_URL: 'mail.example.com' }, 'SMTP_URL');
  assertConfigError({ API_RATE_LIMIT: '0' }, 'API_RATE_LIMIT');
  assertConfigError({ SUPPORT_BOOTSTRAP_PASSWORD: 'short' }, 'SUPPORT_BOOTSTRAP_PASSWORD');
});

test('the error message does not echo the rejected secret', () => {
  const secretish = 'dGhpcyBpcyBub3QgMzIgYnl0ZXM=';
  assert.throws(() => loadConfig({ ENCRYPTION_KEY: secretish }), (err: unknown) => err instanceof ConfigError && !err.message.includes(secretish));
});
