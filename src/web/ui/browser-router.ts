// What every browser-facing router shares: a CSP that allows only our own scripts and styles,
// form bodies, the audience's session, CSRF on every post, and errors as readable pages.
import express, { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import helmet from 'helmet';
import type { AppContext } from '../../runtime.ts';
import { loadSession, type Audience } from '../session.ts';
import { CsrfError, requireCsrf } from '../csrf.ts';
import { ProblemError, isConnectionError } from '../problem.ts';
import { render } from './views.ts';
import { redactUrl } from '../request-log.ts';

/** `authenticate` may replace the cookie's session for a request that proves itself another way. */
export function browserRouter(ctx: AppContext, audience: Audience, opts: { authenticate?: RequestHandler } = {}): Router {
  const r = Router();
  r.use(
    helmet.contentSecurityPolicy({
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        // Product images and email previews show pictures the store hosts elsewhere.
        imgSrc: ["'self'", 'data:', 'https:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        frameSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'self'"],
      },
    }),
  );
  r.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  r.use(express.urlencoded({ extended: false, limit: '1mb', parameterLimit: 2000 }));
  r.use(loadSession(ctx, audience));
  if (opts.authenticate) r.use(opts.authenticate);
  r.use(requireCsrf);
  return r;
}

/** 404 and error pages for the router; call after its routes. */
export function finishRouter(r: Router, ctx: AppContext): void {
  r.use(async (_req: Request, res: Response) => {
    await render(res, 'error', { title: 'Not found', status: 404, detail: 'There is nothing here. It may belong to another store, or it was removed.' }, 404);
  });
  const onError: ErrorRequestHandler = async (err: unknown, req, res, _next) => {
    let status = 500;
    let detail = 'Something went wrong on our side; it has been logged.';
    if (err instanceof CsrfError) [status, detail] = [403, err.message];
    else if (err instanceof ProblemError) [status, detail] = [err.status, err.message];
    else if ((err as { type?: string }).type === 'entity.too.large') [status, detail] = [413, 'The form is larger than this page accepts.'];
    else if (isConnectionError(err)) [status, detail] = [503, 'The database is unavailable; retry shortly.'];
    else ctx.logger.error({ err, url: redactUrl(req.originalUrl) }, 'page failed');
    const title = status === 403 ? 'Not allowed' : status === 404 ? 'Not found' : status >= 500 ? 'Something went wrong' : 'Cannot do that';
    try {
      await render(res, 'error', { title, status, detail }, status);
    } catch (renderErr) {
      ctx.logger.error({ err: renderErr }, 'error page failed');
      res.status(status).type('text').send(detail);
    }
  };
  r.use(onError);
}

/**
 * The email preview iframe inherits the page's policy, and emails style themselves with style
 * attributes and <style> elements (MJML's mobile media queries); pages that show one allow
 * inline styles. Never inline script: the frames are sandboxed without scripts as well.
 */
export function allowStyleAttributes(res: Response): void {
  const csp = res.getHeader('Content-Security-Policy');
  if (typeof csp === 'string' && !csp.includes('style-src-attr')) res.setHeader('Content-Security-Policy', `${csp};style-src-attr 'unsafe-inline';style-src-elem 'self' 'unsafe-inline'`);
}
