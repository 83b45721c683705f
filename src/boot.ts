// Shared start-up: config → logger → database (migrated) → the context every entry point uses.
import { loadConfig, type Config } from './config.ts';
import { createLogger, type Logger } from './logger.ts';
import { openDatabase, type Database } from './db/pool.ts';
import { migrate } from './db/migrate.ts';
import { resolveEncryptionKey } from './security/encryption-key.ts';
import { createSecretBox } from './security/secret-box.ts';
import type { Runtime } from './runtime.ts';
import { createConnectors } from '../connectors/registry.ts';

export async function boot(opts: { config?: Config; logger?: Logger; poolSize?: number } = {}): Promise<Runtime> {
  const config = opts.config ?? loadConfig();
  const logger = opts.logger ?? createLogger(config.logLevel);
  const { key, generated } = await resolveEncryptionKey(config.encryptionKey, config.dataDir);
  if (generated) logger.warn({ dataDir: config.dataDir }, 'generated an encryption key under DATA_DIR; back it up or set ENCRYPTION_KEY');
  const db: Database = await openDatabase(config, opts.poolSize);
  try {
    const applied = await migrate(db.pool);
    if (applied.length) logger.info({ applied }, 'migrations applied');
  } catch (err) {
    await db.close();
    throw err;
  }
  return { config, logger, db, secrets: createSecretBox(key), connectors: createConnectors(config), close: () => db.close() };
}
