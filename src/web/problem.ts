// RFC 9457 problem details: every API error a client sees has this shape.
import type { ErrorRequestHandler, Response } from 'express';
import type { Logger } from 'pino';

export type FieldError = { index: number | null; path: string; message: string };

export type Problem = {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
};

const TITLES: Record<number, string> = {
  400: 'Malformed request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Conflict',
  413: 'Payload too large',
  415: 'Unsupported media type',
  422: 'Validation failed',
  429: 'Too many requests',
  500: 'Internal error',
  503: 'Service unavailable',
};

export class ProblemError extends Error {
  readonly status: number;
  readonly errors: FieldError[] | undefined;
  readonly slug: string;
  constructor(status: number, detail: string, opts: { slug?: string; errors?: FieldError[] } = {}) {
    super(detail);
    this.status = status;
    this.errors = opts.errors;
    this.slug = opts.slug ?? (TITLES[status] ?? 'error').toLowerCase().replace(/\s+/g, '-');
  }
}

export function sendProblem(res: Response, status: number, detail: string, opts: { slug?: string; errors?: FieldError[] } = {}): void {
  const slug = opts.slug ?? (TITLES[status] ?? 'error').toLowerCase().replace(/\s+/g, '-');
  const body: Problem = { type: `https://storeflow.dev/problems/${slug}`, title: TITLES[status] ?? 'Error', status, detail };
  if (opts.errors) body.errors = opts.errors;
  res.status(status).type('application/problem+json').send(JSON.stringify(body));
}

type BodyParserError = Error & { type?: string; status?: number; expose?: boolean };

/** Maps thrown errors to problem+json. Unknown errors are logged and answered 500 without detail. */
export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, _req, res, _next) => {
    if (err instanceof ProblemError) {
      return sendProblem(res, err.status, err.message, { slug: err.slug, errors: err.errors });
    }
    const e = err as BodyParserError;
    if (e?.type === 'entity.parse.failed') return sendProblem(res, 400, 'The body is not valid JSON.', { slug: 'malformed-json' });
    if (e?.type === 'entity.too.large') return sendProblem(res, 413, 'The body is larger than this endpoint accepts.');
    if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') return sendProblem(res, 415, e.message);
    if (e?.expose && typeof e.status === 'number' && e.status >= 400 && e.status < 500) return sendProblem(res, e.status, e.message);
    if (isConnectionError(err)) {
      logger.warn({ err }, 'database unavailable');
      res.setHeader('Retry-After', '5');
      return sendProblem(res, 503, 'The database is unavailable; retry shortly.');
    }
    logger.error({ err }, 'unhandled error');
    return sendProblem(res, 500, 'Something went wrong on our side; it has been logged.');
  };
}

/** Transient database trouble (server gone, restarting, connection refused) → 503, so callers retry. */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  if (!e) return false;
  if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', '57P01', '57P02', '57P03', '08000', '08003', '08006', '40001', '40P01'].includes(e.code ?? '')) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(e.message ?? '');
}
