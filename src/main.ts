// `npm start`: web and worker in one process, on the embedded database unless DATABASE_URL is set.
import { boot } from './boot.ts';
import { startServer } from './web/server.ts';
import { startWorker } from './jobs/worker.ts';
import { exitWithError, onShutdown } from './lifecycle.ts';
import { welcome } from './welcome.ts';

try {
  const rt = await boot();
  const web = await startServer(rt);
  const worker = await startWorker(rt);
  rt.logger.info({ url: rt.config.appUrl, database: rt.db.mode }, 'storeflow is up');
  if (process.stdout.isTTY) process.stdout.write(`${welcome(rt.config)}\n`);
  onShutdown(async () => {
    await web.stop();
    await worker.stop();
    await rt.close();
  });
} catch (err) {
  exitWithError(err);
}
