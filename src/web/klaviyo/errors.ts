// Klaviyo's JSON:API error documents: `{"errors":[{id,status,code,title,detail,source}]}`, with
// the codes Klaviyo's client and integrations branch on (not_authenticated, invalid, not_found,
// duplicate_profile, throttled, ...). Everything under the Klaviyo paths answers in this shape.
import { randomUUID } from 'node:crypto';
import type { ErrorRequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { FormatError, pointerOf, type FormatIssue } from '../../../connectors/klaviyo-format/issues.ts';
import { isConnectionError, ProblemError } from '../problem.ts';

export type KlaviyoSource = { pointer?: string; parameter?: string };

export class KlaviyoError extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly source: KlaviyoSource | undefined;
  readonly meta: Record<string, unknown> | undefined;
  constructor(status: number, code: string, title: string, detail: string, opts: { source?: KlaviyoSource; meta?: Record<string, unknown> } = {}) {
    super(detail);
    this.status = status;
    this.code = code;
    this.title = title;
    this.source = opts.source;
    this.meta = opts.meta;
  }
}

const errorOf = (status: number, code: string, title: string, detail: string, source: KlaviyoSource = {}, meta?: Record<string, unknown>) => ({
  id: randomUUID(),
  status,
  code,
  title,
  detail,
  source,
  ...(meta ? { meta } : {}),
});

export function sendKlaviyoError(res: Response, e: KlaviyoError): void {
  res.status(e.status).type('application/vnd.api+json').send(JSON.stringify({ errors: [errorOf(e.status, e.code, e.title, e.message, e.source, e.meta)] }));
}

export function invalid(issues: FormatIssue[]): { status: 400; body: unknown } {
  return { status: 400, body: { errors: issues.slice(0, 100).map((i) => errorOf(400, 'invalid', 'Invalid input.', i.detail, { pointer: i.pointer })) } };
}

/** Parses a request document; every problem is named by its JSON pointer. */
export function parseDocument<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  throw new FormatError(r.error.issues.map((i) => ({ pointer: pointerOf('', i.path), detail: i.message })));
}

export const notFound = (detail: string) => new KlaviyoError(404, 'not_found', 'Not found.', detail);

/** Maps whatever a Klaviyo route throws to Klaviyo's error document. */
export function klaviyoErrorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, _req, res, _next) => {
    if (err instanceof KlaviyoError) return sendKlaviyoError(res, err);
    if (err instanceof FormatError) {
      const { status, body } = invalid(err.issues);
      return res.status(status).type('application/vnd.api+json').send(JSON.stringify(body));
    }
    if (err instanceof ProblemError) {
      const code = err.status === 429 ? 'throttled' : err.status === 404 ? 'not_found' : err.status === 401 ? 'not_authenticated' : 'invalid';
      return sendKlaviyoError(res, new KlaviyoError(err.status === 422 ? 400 : err.status, code, 'Invalid input.', err.message));
    }
    const e = err as { type?: string; status?: number; expose?: boolean; message?: string };
    if (e?.type === 'entity.parse.failed') return sendKlaviyoError(res, new KlaviyoError(400, 'parse_error', 'Malformed request.', 'The body is not valid JSON.'));
    if (e?.type === 'entity.too.large') return sendKlaviyoError(res, new KlaviyoError(413, 'request_too_large', 'Request too large.', 'The body is larger than this endpoint accepts.'));
    if (e?.expose && typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      return sendKlaviyoError(res, new KlaviyoError(e.status, 'invalid', 'Invalid input.', e.message ?? 'Invalid request.'));
    }
    if (isConnectionError(err)) {
      logger.warn({ err }, 'database unavailable');
      res.setHeader('Retry-After', '5');
      return sendKlaviyoError(res, new KlaviyoError(503, 'service_unavailable', 'Service unavailable.', 'The database is unavailable; retry shortly.'));
    }
    logger.error({ err }, 'unhandled error');
    return sendKlaviyoError(res, new KlaviyoError(500, 'error', 'A server error occurred.', 'Something went wrong on our side; it has been logged.'));
  };
}
