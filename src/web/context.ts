import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Database } from '../db/pool.ts';
import type { IngestSignals } from '../ingest/signals.ts';
import type { Connectors } from '../../connectors/registry.ts';
import type { SecretBox } from '../security/secret-box.ts';

/** What the web layer is built from; tests build one against their own database. */
export type AppContext = {
  config: Config;
  db: Database;
  signals: IngestSignals;
  logger: Logger;
  connectors: Connectors;
  secrets: SecretBox;
};
