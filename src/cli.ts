// `npm run cli -- <command>`: migrate, serve, worker, store add, demo, user add, rotate-key, deliveries replay.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { boot } from './boot.ts';
import type { Runtime } from './runtime.ts';
import { loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { Platform } from './model/store.ts';
import { createStore } from './stores/create-store.ts';
import { seedDemo } from './demo/seed-demo.ts';
import { issueMerchantLogin, MerchantEmail } from './accounts/merchant-accounts.ts';
import { findStoreById } from './db/repositories/stores.ts';
import { StoreId } from './model/ids.ts';
import { startServer } from './web/server.ts';
import { startWorker } from './jobs/worker.ts';
import { exitWithError, onShutdown } from './lifecycle.ts';
import { createSecretBox } from './security/secret-box.ts';
import { replaceKeyFile, resealSecrets } from './security/rotate-key.ts';
import { describeReplay, replayDeliveries, replaySucceeded } from './jobs/replay-deliveries.ts';

const USAGE = `usage: storeflow <command>
  migrate                                   apply database migrations
  serve                                     run the web server
  worker                                    run the job worker
  store add --platform shopify|bigcommerce|wix|custom --domain <domain> [--token <access token>] [--json]
  demo                                      create the demo store with catalog, profiles and events, and its sign-in
  user add --store <store id> --email <email>  create (or reset) a merchant sign-in and print its password
  rotate-key                                re-seal every stored access token and signing secret under NEW_ENCRYPTION_KEY
  deliveries replay --store <store id> (--id <delivery id> | --all)  run parked webhook deliveries again with the current code`;

class UsageError extends Error {}

const Domain = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/, 'must be a domain name such as shop.example.com');

/** One-shot commands log only warnings, so their own output stays readable (and --json parseable). */
async function bootQuiet(quietest: 'warn' | 'error' = 'warn'): Promise<Runtime> {
  const config = loadConfig();
  const level = config.logLevel === 'info' || config.logLevel === 'warn' ? quietest : config.logLevel;
  return boot({ config, logger: createLogger(level, process.stderr), poolSize: 2 });
}

async function withRuntime(fn: (rt: Runtime) => Promise<void>, quietest: 'warn' | 'error' = 'warn'): Promise<void> {
  const rt = await bootQuiet(quietest);
  try {
    await fn(rt);
  } finally {
    await rt.close();
  }
}

async function storeAdd(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { platform: { type: 'string' }, domain: { type: 'string' }, token: { type: 'string' }, json: { type: 'boolean' } },
    strict: true,
  });
  const platform = Platform.safeParse(values.platform);
  if (!platform.success) throw new UsageError('--platform must be one of shopify, bigcommerce, wix, custom');
  const domain = Domain.safeParse(values.domain);
  if (!domain.success) throw new UsageError(`--domain ${domain.error.issues[0]!.message}`);
  await withRuntime(async (rt) => {
    const created = await createStore(rt.db.pool, rt.secrets, {
      platform: platform.data,
      domain: domain.data,
      ...(values.token ? { accessToken: values.token } : {}),
    });
    const out = { storeId: created.store.id, publicKey: created.publicKey, privateKey: created.privateKey };
    if (values.json) {
      process.stdout.write(JSON.stringify(out) + '\n');
      return;
    }
    process.stdout.write(
      `store ${out.storeId} (${platform.data}, ${domain.data})\n` +
        `public key:  ${out.publicKey}\n` +
        `private key: ${out.privateKey}\n` +
        'The private key is shown only now; keep it somewhere safe.\n',
    );
  });
}

async function userAdd(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { store: { type: 'string' }, email: { type: 'string' } }, strict: true });
  const storeId = StoreId.safeParse(values.store);
  if (!storeId.success) throw new UsageError('--store must be a store id (a uuid, as `store add` prints it)');
  const email = MerchantEmail.safeParse(values.email);
  if (!email.success) throw new UsageError('--email must be an email address');
  await withRuntime(async (rt) => {
    if (!(await findStoreById(rt.db.pool, storeId.data))) throw new UsageError(`no store ${storeId.data}`);
    const { password } = await issueMerchantLogin(rt.db.pool, storeId.data, email.data);
    process.stdout.write(`sign in at ${rt.config.appUrl}/app/login
email:    ${email.data}
password: ${password}
The password is shown only now.
`);
  });
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** Re-seals under NEW_ENCRYPTION_KEY; in embedded mode without ENCRYPTION_KEY, the key file follows. */
async function rotateKey(): Promise<void> {
  const next = loadConfig().newEncryptionKey;
  if (!next) throw new UsageError('set NEW_ENCRYPTION_KEY to the new key (openssl rand -base64 32)');
  await withRuntime(async (rt) => {
    const resealed = await resealSecrets(rt.db.pool, rt.secrets, createSecretBox(next));
    const file = rt.config.encryptionKey ? null : await replaceKeyFile(rt.config.dataDir, next);
    process.stdout.write(
      `re-sealed ${plural(resealed.accessTokens, 'access token')} and ${plural(resealed.signingSecrets, 'webhook signing secret')} under the new key\n` +
        (file ? `${file} now holds the new key\n` : 'now set ENCRYPTION_KEY to the new key on every process and restart them\n'),
    );
  });
}

/** A failure the command reports in one line, without the usage text. */
class CommandError extends Error {}

async function deliveriesReplay(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { store: { type: 'string' }, id: { type: 'string', multiple: true }, all: { type: 'boolean' } }, strict: true });
  const storeId = StoreId.safeParse(values.store);
  if (!storeId.success) throw new UsageError('--store must be a store id (a uuid, as `store add` prints it)');
  const ids = (values.id ?? []).map((v) => (/^\d{1,18}$/.test(v) ? Number(v) : NaN));
  if (ids.some((n) => !Number.isSafeInteger(n))) throw new UsageError('--id must be a delivery id (a number, as the support console shows it)');
  if ((ids.length > 0) === Boolean(values.all)) throw new UsageError('name the deliveries: --id <delivery id> (repeatable) or --all');
  await withRuntime(async (rt) => {
    if (!(await findStoreById(rt.db.pool, storeId.data))) throw new CommandError(`no store ${storeId.data}`);
    const result = await replayDeliveries(rt, { storeId: storeId.data, ids: values.all ? null : ids, actor: 'cli' });
    if (!replaySucceeded(result)) throw new CommandError(describeReplay(result));
    process.stdout.write(describeReplay(result) + '\n');
    // A delivery that fails again is the answer here, not a warning: the one line names it.
  }, 'error');
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'migrate':
      // boot() applies pending migrations under an advisory lock, then we are done.
      return withRuntime(async (rt) => {
        const { rows } = await rt.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations');
        process.stdout.write(`migrations up to date (${rows[0]!.n} applied)\n`);
      });
    case 'serve': {
      const rt = await boot();
      const web = await startServer(rt);
      onShutdown(async () => {
        await web.stop();
        await rt.close();
      });
      return;
    }
    case 'worker': {
      const rt = await boot();
      const worker = await startWorker(rt);
      onShutdown(async () => {
        await worker.stop();
        await rt.close();
      });
      return;
    }
    case 'user':
      if (rest[0] !== 'add') throw new UsageError(`unknown user command ${rest[0] ?? '(none)'}; try: user add`);
      return userAdd(rest.slice(1));
    case 'store':
      if (rest[0] !== 'add') throw new UsageError(`unknown store command ${rest[0] ?? '(none)'}; try: store add`);
      return storeAdd(rest.slice(1));
    case 'demo':
      return withRuntime(async (rt) => {
        const demo = await seedDemo(rt);
        const login = await issueMerchantLogin(rt.db.pool, demo.store.id, `merchant@${demo.store.domain}`);
        process.stdout.write(
          `demo store ${demo.store.id} (${demo.store.domain})${demo.reusedStore ? ' refreshed, keys rotated' : ''}\n` +
            `${demo.products} products, ${demo.profiles} profiles, ${demo.events} events\n` +
            `public key:  ${demo.publicKey}\nprivate key: ${demo.privateKey}\n` +
            `sign in at ${rt.config.appUrl}/app/login as ${login.account.email} with password ${login.password}\n`,
        );
      });
    case 'deliveries':
      if (rest[0] !== 'replay') throw new UsageError(`unknown deliveries command ${rest[0] ?? '(none)'}; try: deliveries replay`);
      return deliveriesReplay(rest.slice(1));
    case 'rotate-key':
      return rotateKey();
    case undefined:
    case 'help':
    case '--help':
      process.stdout.write(USAGE + '\n');
      return;
    default:
      throw new UsageError(`unknown command ${command}`);
  }
}

try {
  await main(process.argv.slice(2));
} catch (err) {
  if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    console.error(`storeflow: ${(err as Error).message}`);
    console.error(USAGE);
    process.exit(2);
  }
  if (err instanceof CommandError) {
    console.error(`storeflow: ${err.message}`);
    process.exit(1);
  }
  exitWithError(err);
}
