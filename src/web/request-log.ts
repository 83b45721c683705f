// What a request's log line holds. Cookies, authorization and signature headers, Set-Cookie,
// secret query parameters (launch tokens, OAuth code/state/hmac, passwords) and the tokens in
// /u/, /o/ and /c/ message links are replaced by [redacted]; bodies are never logged. Headers
// are shown by allow-list, so a platform's next signature header is hidden before anyone knows it.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pinoHttp, type HttpLogger } from 'pino-http';
import type { Logger } from '../logger.ts';

const REDACTED = '[redacted]';

/** Query parameters whose value is a credential: matched anywhere in the name. */
const SECRET_PARAM = /token|jwt|signed|instance|hmac|signature|code|state|session|password|secret|key|auth/i;

/** The signed token is the whole of a message link's authority: /u/<token>, /o/<token>, /c/<token>. */
const LINK_TOKEN = /^((?:[a-z][a-z\d+.-]*:\/\/[^/?#]+)?\/[uoc]\/)[^/?#]+/i;

const SHOWN_REQUEST_HEADERS = new Set([
  'host', 'connection', 'user-agent', 'accept', 'accept-encoding', 'accept-language', 'content-type', 'content-length', 'origin',
  'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-request-id',
  'sec-fetch-dest', 'sec-fetch-mode', 'sec-fetch-site',
  'x-shopify-topic', 'x-shopify-shop-domain', 'x-shopify-api-version', 'x-shopify-webhook-id', 'x-shopify-event-id', 'x-shopify-triggered-at',
  'shopify-topic', 'shopify-shop-domain', 'shopify-api-version', 'shopify-webhook-id', 'shopify-event-id', 'shopify-triggered-at',
]);

/** A URL (path or absolute) with link tokens and secret query values replaced. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  const path = (q === -1 ? url : url.slice(0, q)).replace(LINK_TOKEN, `$1${REDACTED}`);
  if (q === -1) return path;
  const query = [...new URLSearchParams(url.slice(q + 1))]
    .map(([k, v]) => `${encodeURIComponent(k)}=${SECRET_PARAM.test(k) ? REDACTED : encodeURIComponent(v)}`)
    .join('&');
  return `${path}?${query}`;
}

/** Cookie names only: "a=1; b=2" becomes "a=[redacted]; b=[redacted]". */
const cookieNames = (header: string): string =>
  header
    .split(';')
    .map((c) => c.trim().split('=')[0])
    .filter(Boolean)
    .map((name) => `${name}=${REDACTED}`)
    .join('; ');

type Headers = Record<string, string | string[] | number | undefined>;

function requestHeaders(headers: Headers): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    if (name === 'cookie') out[name] = cookieNames(String(value));
    else if (name === 'referer') out[name] = redactUrl(String(value));
    else out[name] = SHOWN_REQUEST_HEADERS.has(name) ? value : REDACTED;
  }
  return out;
}

function responseHeaders(headers: Headers): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    if (name === 'set-cookie') out[name] = ([] as string[]).concat(value.toString()).map(cookieNames);
    else if (name === 'location' || name === 'content-location') out[name] = redactUrl(String(value));
    else out[name] = value;
  }
  return out;
}

type RawRequest = IncomingMessage & { id?: unknown; originalUrl?: string };

/** pino-http with serializers that keep secrets out of every line a request logs. */
export function requestLogger(logger: Logger): HttpLogger {
  return pinoHttp({
    logger,
    genReqId: (req, res) => {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && /^[\w.-]{1,100}$/.test(given) ? given : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    autoLogging: { ignore: (req) => req.url === '/healthz' },
    // Built from the raw objects: the stock serializers add query and params, which hold tokens.
    serializers: {
      req: (req: { raw: RawRequest }) => ({
        id: req.raw.id,
        method: req.raw.method,
        url: redactUrl(req.raw.originalUrl ?? req.raw.url ?? ''),
        headers: requestHeaders(req.raw.headers),
        remoteAddress: req.raw.socket?.remoteAddress,
      }),
      res: (res: { raw: ServerResponse }) => ({
        statusCode: res.raw.statusCode,
        headers: responseHeaders(res.raw.getHeaders() as Headers),
      }),
    },
  });
}
