import { pino, type Logger } from 'pino';

/** Secrets never reach a log line: keys, tokens and auth headers are censored wherever they appear. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-shopify-access-token"]',
  'req.headers["x-auth-token"]',
  '*.accessToken',
  '*.access_token',
  '*.privateKey',
  '*.password',
  '*.token',
];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { app: 'storeflow' } },
    destination as pino.DestinationStream | undefined,
  );
}

export type { Logger };
