import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

/**
 * Secrets never reach a log line: keys, tokens and auth headers are censored wherever they appear.
 * A request's own line is built by src/web/request-log.ts, which also redacts URLs and Set-Cookie.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'req.headers["x-shopify-access-token"]',
  'req.headers["x-auth-token"]',
  // The per-store BigCommerce hook secret is a standing credential: logged, it let anyone forge
  // that store's webhooks. Request signatures go too; they are no use to a reader of the logs.
  'req.headers["x-storeflow-webhook-token"]',
  'req.headers["x-shopify-hmac-sha256"]',
  'req.headers["shopify-hmac-sha256"]',
  'req.headers["webhook-signature"]',
  'req.headers["x-twilio-signature"]',
  '*.accessToken',
  '*.access_token',
  '*.privateKey',
  '*.password',
  '*.token',
  '*.id_token',
  '*.signed_payload_jwt',
  '*.hmac',
];

/**
 * JSON lines, one per event, for log collectors; on a terminal (`npm start` by hand) the same
 * lines printed readably instead. Redaction happens before either.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const out = destination ?? (process.stdout.isTTY ? pretty({ sync: true, ignore: 'pid,hostname,app', translateTime: 'SYS:HH:MM:ss' }) : undefined);
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { app: 'storeflow' } }, out as pino.DestinationStream | undefined);
}

export type { Logger };
