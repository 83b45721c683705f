// BigCommerce single-click app callbacks. /auth runs once per install with a code; /load,
// /uninstall and /remove-user carry a signed_payload_jwt that is verified before anything else.
// /auth and /load render inside the store's control panel, so they may be framed by that
// store's control panel (and no other); a verified /load signs the merchant in inside it.
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { isBigCommerceConnector, type BigCommerceApp } from '../../../connectors/bigcommerce/bigcommerce-connector.ts';
import { StoreContext, hashOfContext } from '../../../connectors/bigcommerce/payload-schemas.ts';
import type { SignedPayload } from '../../../connectors/bigcommerce/signed-payload.ts';
import { bigcommerceGrant, removeScripts } from '../../../connectors/bigcommerce/install.ts';
import { isStorefrontBundle, readStorefrontBundle } from '../../../connectors/bigcommerce/storefront/assets.ts';
import type { AppContext } from '../../runtime.ts';
import { allowFramingBy, bigcommerceAdmins } from '../frame-ancestors.ts';
import { installStore } from '../../stores/install-store.ts';
import { uninstallStore } from '../../stores/uninstall-store.ts';
import { storeForShop } from '../../stores/store-lookup.ts';
import type { Store } from '../../model/store.ts';
import { ProblemError } from '../problem.ts';
import { startSession } from '../session.ts';
import { spendSignInProof } from '../sign-in-proof.ts';
import { endPlatformUserSessions } from '../../accounts/platform-users.ts';

const AuthQuery = z.object({ code: z.string().min(1).max(500), scope: z.string().max(2000), context: StoreContext });
const SignedQuery = z.object({ signed_payload_jwt: z.string().min(1).max(8192) });

const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function renderInPanel(ctx: AppContext, res: Response, storeHash: string, title: string, body: string): void {
  res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
  allowFramingBy(res, ctx.config, bigcommerceAdmins(storeHash));
  res.type('html').send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;margin:2rem;max-width:42rem}code{background:#f3f3f3;padding:.1rem .3rem}</style></head>
<body><h1>${escape(title)}</h1>${body}</body></html>`);
}

function bigcommerceApp(ctx: AppContext): BigCommerceApp {
  const c = ctx.connectors.bigcommerce;
  if (!isBigCommerceConnector(c) || !c.app.configured) throw new ProblemError(503, 'The BigCommerce app is not configured on this server.', { slug: 'bigcommerce-not-configured' });
  return c.app;
}

function parseQuery<T>(schema: z.ZodType<T>, req: Request): T {
  const q = schema.safeParse(req.query);
  if (!q.success) {
    const errors = q.error.issues.map((i) => ({ index: null, path: i.path.join('.'), message: i.message }));
    throw new ProblemError(400, 'The callback query is incomplete.', { errors });
  }
  return q.data;
}

async function verified(app: BigCommerceApp, req: Request, opts: { signIn?: boolean } = {}): Promise<{ payload: SignedPayload; jwt: string }> {
  const jwt = parseQuery(SignedQuery, req).signed_payload_jwt;
  const result = await app.verifySignedPayload(jwt, opts);
  if (!result.ok) {
    req.log.warn({ path: req.path, reason: result.reason }, 'bigcommerce signed payload refused');
    throw new ProblemError(401, `The signed payload was refused: ${result.reason}.`, { slug: 'bad-signed-payload' });
  }
  return { payload: result.payload, jwt };
}

const unknownStore = (payload: SignedPayload) => new ProblemError(404, `No BigCommerce store ${payload.storeHash} is installed.`, { slug: 'unknown-store' });

/** The installed store a verified callback names; an unknown or removed one is refused. */
async function known(ctx: AppContext, payload: SignedPayload): Promise<Store> {
  const store = await storeForShop({ pool: ctx.db.pool }, 'bigcommerce', payload.storeHash);
  if (!store) throw unknownStore(payload);
  return store;
}

export function bigcommerceRoutes(ctx: AppContext): Router {
  const r = Router();

  r.get('/bigcommerce/auth', async (req, res) => {
    const app = bigcommerceApp(ctx);
    const q = parseQuery(AuthQuery, req);
    const result = await installStore({ pool: ctx.db.pool, secrets: ctx.secrets }, bigcommerceGrant({ secrets: ctx.secrets, app }, q));
    if (result.status === 'refused') throw new ProblemError(400, result.detail, { slug: 'install-refused' });
    if (result.status !== 'installed') throw new Error(`BigCommerce install ${result.status}: ${result.detail}`);
    req.log.info({ storeId: result.store.id, fresh: Boolean(result.keys) }, 'BigCommerce store installed');
    const keys = result.keys
      ? `<p>Your API keys. The private key is shown only now; keep it somewhere safe.</p>
<p>Public key: <code>${escape(result.keys.publicKey)}</code><br>Private key: <code>${escape(result.keys.privateKey)}</code></p>`
      : '';
    renderInPanel(ctx, res, hashOfContext(q.context), 'Storeflow is installed', `<p>Connected to ${escape(result.store.domain)}. Your catalog is being imported now.</p>${keys}`);
  });

  // The storefront script the Script Manager loads on the store's own domain, so it must be
  // loadable cross-origin; it needs no app credentials, only the key its URL carries.
  r.get('/bigcommerce/:bundle', async (req, res, next) => {
    const name = req.params.bundle;
    if (!isStorefrontBundle(name)) return next();
    const text = await readStorefrontBundle(name);
    if (text === null) throw new ProblemError(503, 'The storefront script has not been built on this server (npm run build).', { slug: 'storefront-not-built' });
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    res.type('application/javascript').setHeader('Cache-Control', 'public, max-age=3600');
    res.send(text);
  });

  r.get('/bigcommerce/load', async (req, res) => {
    // A load is a sign-in: the payload must be fresh, and it signs in once.
    const { payload, jwt } = await verified(bigcommerceApp(ctx), req, { signIn: true });
    const store = await known(ctx, payload);
    if (store.status !== 'active') throw new ProblemError(404, 'This store has uninstalled Storeflow.', { slug: 'unknown-store' });
    await spendSignInProof(ctx, 'bigcommerce-load', jwt, payload.expiresAt, 'Open Storeflow again from your BigCommerce control panel.');
    // A verified load is the merchant's sign-in, inside the control panel's iframe: the session is
    // scoped to this store alone, names the control-panel user the payload names, and its pages may
    // be framed by this store's control panel only.
    await startSession(ctx, res, 'app', { storeId: store.id, actor: payload.user.email, via: 'bigcommerce', subject: `bigcommerce:${payload.user.id}`, embedded: true });
    req.log.info({ storeId: store.id, userId: payload.user.id }, 'bigcommerce load signed in');
    allowFramingBy(res, ctx.config, bigcommerceAdmins(payload.storeHash));
    res.redirect(303, '/app');
  });

  r.get('/bigcommerce/uninstall', async (req, res) => {
    const app = bigcommerceApp(ctx);
    const { payload } = await verified(app, req);
    const result = await uninstallStore({ pool: ctx.db.pool, secrets: ctx.secrets }, 'bigcommerce', payload.storeHash, (store, token) => removeScripts(app, store, token));
    if (result.status === 'unknown-store') throw unknownStore(payload);
    req.log.info({ storeId: result.store.id, scriptsRemoved: result.cleanup }, 'BigCommerce store uninstalled');
    res.json({ status: 'uninstalled' });
  });

  r.get('/bigcommerce/remove-user', async (req, res) => {
    const { payload } = await verified(bigcommerceApp(ctx), req);
    // The only per-user data we keep for control-panel users is their sessions (named by the
    // payload's user, as a load named them): a removed user is signed out now, not in 12 hours.
    const store = await known(ctx, payload);
    const ended = await endPlatformUserSessions({ pool: ctx.db.pool }, store.id, `bigcommerce:${payload.user.id}`);
    req.log.info({ storeId: store.id, userId: payload.user.id, sessionsEnded: ended }, 'BigCommerce user removed');
    res.json({ status: 'removed' });
  });

  return r;
}
