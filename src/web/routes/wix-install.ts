// Wix app install: GET /wix/install (the app's App URL) sends the merchant through Wix's
// installer, GET /wix/callback finishes it for the instance Wix names when we exchange the
// one-time code this browser brought back, and signs the merchant in. The AppInstalled webhook
// installs too, so it is taken here before the shared webhook intake (which only accepts
// deliveries for stores it already holds).
import express, { Router, type Request, type Response } from 'express';
import { AppStrategy } from '@wix/sdk';
import { z } from 'zod';
import { isWixConnector, type WixConnector } from '../../../connectors/wix/wix-connector.ts';
import { WixEvents } from '../../../connectors/wix/event-types.ts';
import { InstanceId, wixGrant, wixInstallation } from '../../../connectors/wix/install.ts';
import { checkState, issueState, STATE_TTL_MS } from '../../../connectors/wix/install-state.ts';
import type { AppContext } from '../../runtime.ts';
import { installStore } from '../../stores/install-store.ts';
import { ProblemError, sendProblem } from '../problem.ts';
import { startSession } from '../session.ts';
import { spendSignInProof } from '../sign-in-proof.ts';

const COOKIE = 'sf_wix_install';

const InstallQuery = z.object({ token: z.string().trim().min(1).max(4096).optional() });
const CallbackQuery = z.object({ instanceId: InstanceId, state: z.string().min(1).max(512), code: z.string().min(1).max(4096) });

const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function parseQuery<T>(schema: z.ZodType<T>, req: Request): T {
  const q = schema.safeParse(req.query);
  if (!q.success) {
    const errors = q.error.issues.map((i) => ({ index: null, path: i.path.join('.'), message: i.message }));
    throw new ProblemError(400, 'The install request is incomplete.', { errors });
  }
  return q.data;
}

function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

function wix(ctx: AppContext): { connector: WixConnector; appId: string; appSecret: string } {
  const connector = ctx.connectors.wix;
  const { appId, appSecret } = ctx.config.wix;
  if (!isWixConnector(connector) || !appId || !appSecret) {
    throw new ProblemError(503, 'The Wix app is not configured on this server (WIX_APP_ID, WIX_APP_SECRET).', { slug: 'wix-not-configured' });
  }
  return { connector, appId, appSecret };
}

function renderInstalled(res: Response, appUrl: string, publicKey: string): void {
  const snippet = `<script async src="${appUrl}/t.js" data-key="${publicKey}"></script>`;
  res.type('html').send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Storeflow is installed</title>
<style>body{font:15px/1.5 system-ui,sans-serif;margin:2rem;max-width:42rem}pre{background:#f3f3f3;padding:.75rem;white-space:pre-wrap}</style></head>
<body><h1>Storeflow is installed</h1><p>Your catalog is being imported. To record product views, add this as a custom code
embed (Settings → Custom Code, all pages, body end):</p><pre>${escape(snippet)}</pre><p><a href="/app">Open Storeflow</a></p></body></html>`);
}

export function wixRoutes(ctx: AppContext): Router {
  const r = Router();
  const secure = ctx.config.appUrl.startsWith('https:');

  r.get('/wix/install', (req, res) => {
    const { appId, appSecret } = wix(ctx);
    const { token } = parseQuery(InstallQuery, req);
    const { state, nonce } = issueState(appSecret);
    res.cookie(COOKIE, nonce, { httpOnly: true, sameSite: 'lax', secure, path: '/wix', maxAge: STATE_TTL_MS });
    const installUrl = AppStrategy({ appId, appSecret }).getInstallUrl({ redirectUrl: `${ctx.config.appUrl}/wix/callback`, state, ...(token ? { token } : {}) });
    res.redirect(302, installUrl);
  });

  r.get('/wix/callback', async (req, res) => {
    const { appId, appSecret } = wix(ctx);
    const q = parseQuery(CallbackQuery, req);
    const stateExpiry = checkState(appSecret, q.state, readCookie(req, COOKIE));
    if (!stateExpiry) {
      req.log.warn({ reason: 'state' }, 'wix callback refused');
      throw new ProblemError(401, 'The install state is missing, expired or was not issued to this browser; start the install again.', { slug: 'wix-bad-state' });
    }
    res.clearCookie(COOKIE, { path: '/wix' });
    await spendSignInProof(ctx, 'wix-install-state', q.state, stateExpiry, 'Start the install again from the Wix App Market.');
    const outcome = await installStore({ pool: ctx.db.pool, secrets: ctx.secrets }, wixGrant({ appId, appSecret }, q));
    if (outcome.status === 'refused') {
      req.log.warn({ instanceId: q.instanceId, reason: outcome.detail }, 'wix callback refused');
      throw new ProblemError(401, 'Wix did not confirm this install for this browser; start the install again.', { slug: 'wix-instance-refused' });
    }
    if (outcome.status !== 'installed') throw new Error(`wix install ${outcome.status}: ${outcome.detail}`);
    const { store } = outcome;
    // Wix named this instance for the code this browser's own install flow brought back.
    await startSession(ctx, res, 'app', { storeId: store.id, actor: 'wix admin', via: 'wix' });
    req.log.info({ storeId: store.id, instanceId: store.externalId }, 'wix install signed in');
    renderInstalled(res, ctx.config.appUrl, store.publicKey);
  });

  r.post('/webhooks/wix', express.raw({ type: () => true, limit: '5mb' }), async (req, res, next) => {
    const connector = ctx.connectors.wix;
    if (!isWixConnector(connector)) return next();
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const verdict = await connector.verifyWebhook({ headers: req.headers, rawBody });
    // Everything but a verified AppInstalled goes on to the shared intake, which refuses or queues it.
    if (!verdict.ok || verdict.topic !== WixEvents.appInstalled) return next();
    const instanceId = InstanceId.safeParse(verdict.shop);
    if (!instanceId.success) return sendProblem(res, 400, 'AppInstalled names no valid instance id.', { slug: 'webhook-malformed' });
    const outcome = await installStore({ pool: ctx.db.pool, secrets: ctx.secrets }, { ok: true, installation: wixInstallation(instanceId.data) });
    req.log.info({ instanceId: instanceId.data, created: outcome.status === 'installed' && outcome.created }, 'wix app installed');
    res.status(200).json({ status: 'installed' });
  });

  return r;
}
