// The browser side: our stylesheet and script, the two vendored libraries (served from
// node_modules so no page depends on a CDN), the merchant app and the support console.
import express, { Router } from 'express';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { AppContext } from '../../runtime.ts';
import { supportRoutes } from './support-routes.ts';
import { appRoutes } from './app-routes.ts';

const require = createRequire(import.meta.url);
const distOf = (entry: string) => dirname(require.resolve(entry));

export function uiRoutes(ctx: AppContext): Router {
  const r = Router();
  const cache = { maxAge: ctx.config.nodeEnv === 'production' ? '1d' : 0, index: false, fallthrough: false };
  r.use('/assets/ui', express.static(join(import.meta.dirname, '..', 'assets', 'ui'), cache));
  const chartDir = distOf('chart.js');
  const htmxDir = distOf('htmx.org');
  r.get('/assets/vendor/chart.umd.min.js', (_req, res) => res.sendFile(join(chartDir, 'chart.umd.min.js')));
  r.get('/assets/vendor/htmx.min.js', (_req, res) => res.sendFile(join(htmxDir, 'htmx.min.js')));
  r.use('/support', supportRoutes(ctx));
  r.use('/app', appRoutes(ctx));
  return r;
}
