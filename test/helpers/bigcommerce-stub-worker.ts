// A real worker process (`startWorker`, as `cli.ts worker` runs it) whose BigCommerce connector
// talks to a local stub instead of api.bigcommerce.com: the catalog-sync drill SIGKILLs it.
import { boot } from '../../src/boot.ts';
import { startWorker } from '../../src/jobs/worker.ts';
import { exitWithError, onShutdown } from '../../src/lifecycle.ts';
import { createBigCommerceConnector } from '../../connectors/bigcommerce/bigcommerce-connector.ts';

try {
  const rt = await boot();
  const bigcommerce = createBigCommerceConnector({
    clientId: rt.config.bigcommerce.clientId,
    clientSecret: rt.config.bigcommerce.clientSecret,
    appUrl: rt.config.appUrl,
    apiBaseUrl: process.env.BIGCOMMERCE_STUB_URL,
    retryBaseMs: 1,
    catalogPageSize: Number(process.env.BIGCOMMERCE_STUB_PAGE_SIZE ?? 250),
  });
  const worker = await startWorker({ ...rt, connectors: { ...rt.connectors, bigcommerce } });
  onShutdown(async () => {
    await worker.stop();
    await rt.close();
  });
} catch (err) {
  exitWithError(err);
}
