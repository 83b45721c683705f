// What every entry point runs on: the assembled config, logger, database, connectors and secret
// box. src/boot.ts builds one; tests build one against their own database.
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Database } from './db/pool.ts';
import type { SecretBox } from './security/secret-box.ts';
import type { Connectors } from '../connectors/registry.ts';

/** What the web layer is built from. */
export type AppContext = {
  config: Config;
  db: Database;
  logger: Logger;
  connectors: Connectors;
  secrets: SecretBox;
};

/** The context with the database it owns: close() ends both. */
export type Runtime = AppContext & { close(): Promise<void> };
