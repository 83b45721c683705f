// Server-side sessions for the merchant app and the support console. The cookie holds only a
// random id; the row (found by the id's hash) holds who is signed in and the CSRF token.
// Each audience has its own cookie, scoped to its path, so a staff session never reaches /app.
// A merchant session started by a platform admin's launch lives in that admin's iframe, a
// third-party context: its cookie is SameSite=None, Secure and Partitioned (CHIPS), so the
// browser sends it only inside that admin's frames; every other session keeps SameSite=Lax.
import { createHash, randomBytes } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { StoreId } from '../model/ids.ts';
import { deleteExpiredSessions, deleteSession, findSession, insertSession, type Audience, type WebSession } from '../db/repositories/web-sessions.ts';
import type { AppContext } from '../runtime.ts';
import { purgeSpentProofs } from './sign-in-proof.ts';

export type { Audience, WebSession };

const COOKIE: Record<Audience, string> = { app: 'sf_app', support: 'sf_support' };
const PATH: Record<Audience, string> = { app: '/app', support: '/support' };
const SIGNED_IN_TTL_MS: Record<Audience, number> = { app: 12 * 3_600_000, support: 8 * 3_600_000 };
/** A signed-out visitor's session exists only to carry the login form's CSRF token. */
const ANONYMOUS_TTL_MS = 3_600_000;

/**
 * Who a session is for. A platform launch names its user in `subject`, and the session carries that
 * user and that user's store only: nothing of a session the browser held before survives sign-in.
 */
export type Principal = { staffId?: string; storeId?: StoreId; actor: string; via: string; subject?: string; embedded?: boolean };

export type SessionLocals = {
  session?: WebSession;
  audience: Audience;
  /** The request proved who it is with a platform session token rather than our cookie. */
  viaBearer?: boolean;
};

const hashId = (token: string): Buffer => createHash('sha256').update(token).digest();

function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function cookieFlags(ctx: AppContext, audience: Audience, embedded: boolean) {
  // Browsers accept SameSite=None and Partitioned only together with Secure (loopback http included).
  return embedded
    ? { httpOnly: true, sameSite: 'none' as const, secure: true, partitioned: true, path: PATH[audience] }
    : { httpOnly: true, sameSite: 'lax' as const, secure: ctx.config.appUrl.startsWith('https:'), path: PATH[audience] };
}

function setCookie(ctx: AppContext, res: Response, audience: Audience, token: string, ttlMs: number, embedded: boolean): void {
  res.cookie(COOKIE[audience], token, { ...cookieFlags(ctx, audience, embedded), maxAge: ttlMs });
}

async function create(ctx: AppContext, res: Response, audience: Audience, principal: Principal | null, ttlMs: number): Promise<WebSession> {
  const token = randomBytes(32).toString('base64url');
  const session: WebSession = {
    idHash: hashId(token),
    audience,
    csrfToken: randomBytes(32).toString('base64url'),
    staffId: principal?.staffId ?? null,
    storeId: principal?.storeId ?? null,
    actor: principal?.actor ?? null,
    via: principal?.via ?? null,
    subject: principal?.subject ?? null,
    embedded: principal?.embedded ?? false,
    expiresAt: new Date(Date.now() + ttlMs),
  };
  await insertSession(ctx.db.pool, session);
  setCookie(ctx, res, audience, token, ttlMs, session.embedded);
  (res.locals as SessionLocals).session = session;
  return session;
}

/** Loads the audience's session (if any) into res.locals.session. */
export function loadSession(ctx: AppContext, audience: Audience): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const locals = res.locals as SessionLocals;
    locals.audience = audience;
    const token = readCookie(req, COOKIE[audience]);
    if (token && /^[\w-]{20,100}$/.test(token)) {
      const found = await findSession(ctx.db.pool, hashId(token), audience, new Date());
      if (found) locals.session = found;
    }
    next();
  };
}

/** The session to render a form with: the current one, or a fresh anonymous one. */
export async function ensureSession(ctx: AppContext, res: Response, audience: Audience): Promise<WebSession> {
  return (res.locals as SessionLocals).session ?? create(ctx, res, audience, null, ANONYMOUS_TTL_MS);
}

/**
 * Signs in: the old session (anonymous or another account's) is dropped and a new id issued,
 * so an id planted before sign-in is worth nothing after it.
 */
export async function startSession(ctx: AppContext, res: Response, audience: Audience, principal: Principal): Promise<WebSession> {
  const previous = (res.locals as Partial<SessionLocals>).session;
  if (previous) await deleteSession(ctx.db.pool, previous.idHash);
  // Sign-ins are rare enough to carry the sweep of expired rows.
  await deleteExpiredSessions(ctx.db.pool, new Date());
  await purgeSpentProofs(ctx, new Date());
  return create(ctx, res, audience, principal, SIGNED_IN_TTL_MS[audience]);
}

/**
 * A request that carries a verified platform session token instead of our cookie: the session
 * lasts for this request only and is never stored, so there is no cookie to forge or replay.
 */
export function bearerSession(res: Response, principal: Principal & { storeId: StoreId }, expiresAt: Date): WebSession {
  const locals = res.locals as SessionLocals;
  const session: WebSession = {
    idHash: Buffer.alloc(0),
    audience: locals.audience,
    csrfToken: randomBytes(32).toString('base64url'),
    staffId: null,
    storeId: principal.storeId,
    actor: principal.actor,
    via: principal.via,
    subject: principal.subject ?? null,
    embedded: principal.embedded ?? true,
    expiresAt,
  };
  locals.session = session;
  locals.viaBearer = true;
  return session;
}

export async function endSession(ctx: AppContext, res: Response, audience: Audience): Promise<void> {
  const session = (res.locals as Partial<SessionLocals>).session;
  if (session && !(res.locals as Partial<SessionLocals>).viaBearer) await deleteSession(ctx.db.pool, session.idHash);
  // A partitioned cookie is only cleared by a Set-Cookie that names the same partition.
  res.clearCookie(COOKIE[audience], cookieFlags(ctx, audience, session?.embedded ?? false));
  delete (res.locals as Partial<SessionLocals>).session;
}
