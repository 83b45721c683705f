import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.ts';
import type { AppContext } from '../runtime.ts';

export type WebServer = { server: Server; port: number; stop(): Promise<void> };

export async function startServer(ctx: AppContext, port = ctx.config.port): Promise<WebServer> {
  const server = createServer(createApp(ctx));
  // Slow-loris guard, and keep-alive shorter than typical proxies' idle timeout.
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  ctx.logger.info({ port: actual }, 'listening');
  return {
    server,
    port: actual,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
