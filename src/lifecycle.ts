import { ConfigError } from './config.ts';
import { StoreExistsError } from './stores/create-store.ts';

/** Stops cleanly on SIGINT/SIGTERM; a second signal exits at once. */
export function onShutdown(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`storeflow: error while stopping after ${signal}: ${(err as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

/** One line on stderr and a non-zero exit: what went wrong and, where we know it, what to do. */
export function exitWithError(err: unknown): never {
  const e = err as Error & { code?: string };
  let message = e?.message ?? String(err);
  if (err instanceof ConfigError || err instanceof StoreExistsError) message = e.message;
  else if (e?.code === 'ECONNREFUSED') message = `cannot reach the database (${e.message}); is PostgreSQL running and DATABASE_URL right?`;
  else if (e?.code === 'EADDRINUSE') message = `the port is already in use (${e.message}); set PORT to a free one`;
  console.error(`storeflow: ${message.split('\n')[0]}`);
  process.exit(1);
}
