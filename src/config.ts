// The one place the environment is read. Everything else receives a typed Config.
import { z } from 'zod';

const optionalString = z.string().trim().min(1).optional();

const base64Key = z
  .string()
  .trim()
  .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be 32 bytes encoded as base64 (openssl rand -base64 32)');

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  APP_URL: z.url().optional(),
  DATABASE_URL: z
    .string()
    .trim()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// connection string')
    .optional(),
  DATA_DIR: z.string().trim().min(1).default('./data'),
  ENCRYPTION_KEY: base64Key.optional(),
  /** Only for `rotate-key`: the key every stored secret is re-sealed under. */
  NEW_ENCRYPTION_KEY: base64Key.optional(),
  SHOPIFY_API_KEY: optionalString,
  SHOPIFY_API_SECRET: optionalString,
  /** write_pixels and read_customer_events let the install switch the storefront web pixel on. */
  SHOPIFY_SCOPES: z.string().trim().default('read_products,read_inventory,read_orders,read_customers,read_checkouts,write_pixels,read_customer_events'),
  BIGCOMMERCE_CLIENT_ID: optionalString,
  BIGCOMMERCE_CLIENT_SECRET: optionalString,
  WIX_APP_ID: optionalString,
  WIX_APP_SECRET: optionalString,
  WIX_PUBLIC_KEY: optionalString,
  SMTP_URL: z
    .string()
    .trim()
    .regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL')
    .optional(),
  MAIL_FROM: z.string().trim().min(3).default('Storeflow <no-reply@storeflow.localhost>'),
  SMS_PROVIDER_URL: z.url().optional(),
  SMS_ACCOUNT_SID: optionalString,
  SMS_AUTH_TOKEN: optionalString,
  SMS_FROM: optionalString,
  SUPPORT_BOOTSTRAP_EMAIL: z.email().optional(),
  SUPPORT_BOOTSTRAP_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * Which proxies may name the client address in X-Forwarded-For (express's `trust proxy`): unset
   * or false trusts none, a number trusts that many hops, otherwise addresses, subnets or the
   * names loopback, linklocal and uniquelocal, separated by commas.
   */
  TRUST_PROXY: z
    .string()
    .trim()
    .transform((v): boolean | number | string[] => (/^(false|off|no)$/i.test(v) ? false : /^\d+$/.test(v) ? Number(v) : v.split(/\s*,\s*/).filter(Boolean)))
    .pipe(
      z.union([
        z.literal(false),
        z.number().int().min(1, 'a hop count must be at least 1'),
        z.array(z.string().regex(/^(loopback|linklocal|uniquelocal|[0-9a-f.:]+(\/\d{1,3})?)$/i, 'must be false, a hop count, or addresses/subnets such as 10.0.0.0/8,loopback')).min(1),
      ]),
    )
    .optional(),
  /** Requests per minute per API key; the public API's abuse guard. */
  API_RATE_LIMIT: z.coerce.number().int().positive().default(600),
  /** Days a webhook delivery id is remembered for dedupe. */
  DELIVERY_RETENTION_DAYS: z.coerce.number().int().positive().default(7),
  /** Days a privacy-law data export stays downloadable before a job deletes it. */
  PERSONAL_DATA_EXPORT_RETENTION_DAYS: z.coerce.number().int().positive().default(30),
  /**
   * How long a worker's claim on flow work (a batch of runs, the flow and delivery jobs' locks,
   * an outbox delivery batch) outlives the worker: after a crash, others take over once it passes.
   */
  FLOW_LEASE_SECONDS: z.coerce.number().int().min(2).default(120),
  /**
   * Origins that may frame platform-launched pages besides the platform's own admin, for
   * exercising the embedded app from a local page; refused in production below.
   */
  EXTRA_FRAME_ANCESTORS: z
    .string()
    .trim()
    .transform((v) => v.split(/[\s,]+/).filter(Boolean))
    .pipe(z.array(z.string().regex(/^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/, 'must list origins such as http://localhost:8080, separated by spaces')))
    .optional(),
  /** Ports outbound calls (flow webhook steps) may use besides 80 and 443. */
  OUTBOUND_ALLOWED_PORTS: z
    .string()
    .trim()
    .transform((v) => v.split(/[\s,]+/).filter(Boolean).map(Number))
    .pipe(z.array(z.number().int().min(1, 'must list ports such as 8080,8443').max(65535, 'must list ports such as 8080,8443')))
    .optional(),
  /** `loopback` lets outbound calls reach 127.0.0.1 / ::1 / localhost (local receivers); refused in production below. */
  OUTBOUND_ALLOW_PRIVATE: z.enum(['none', 'loopback']).default('none'),
});

export type Config = {
  nodeEnv: 'development' | 'production' | 'test';
  port: number;
  appUrl: string;
  databaseUrl: string | undefined;
  dataDir: string;
  encryptionKey: Buffer | undefined;
  newEncryptionKey: Buffer | undefined;
  shopify: { apiKey?: string; apiSecret?: string; scopes: string[] };
  bigcommerce: { clientId?: string; clientSecret?: string };
  wix: { appId?: string; appSecret?: string; publicKey?: string };
  smtpUrl: string | undefined;
  mailFrom: string;
  sms: { providerUrl?: string; accountSid?: string; authToken?: string; from?: string };
  supportBootstrap: { email?: string; password?: string };
  logLevel: string;
  /** express's `trust proxy`: false (the socket's address is the client's), a hop count or a list. */
  trustProxy: false | number | string[];
  apiRateLimit: number;
  deliveryRetentionDays: number;
  personalDataExportRetentionDays: number;
  flowLeaseSeconds: number;
  extraFrameAncestors: string[];
  outbound: { allowedPorts: number[]; allowPrivate: 'none' | 'loopback' };
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses env once. Empty strings count as unset so `.env` templates with blank lines work. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const cleaned: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') cleaned[k] = v;
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'environment');
    throw new ConfigError(`Invalid environment variable ${name}: ${issue.message}`);
  }
  const e = parsed.data;
  if (e.NODE_ENV === 'production' && e.EXTRA_FRAME_ANCESTORS?.length) {
    // Framing by anything but the platform admin would let that page overlay a signed-in merchant.
    throw new ConfigError('Invalid environment variable EXTRA_FRAME_ANCESTORS: not allowed when NODE_ENV is production');
  }
  if (e.NODE_ENV === 'production' && e.OUTBOUND_ALLOW_PRIVATE !== 'none') {
    // Webhook steps are merchant-supplied URLs: in production they must never reach this machine.
    throw new ConfigError('Invalid environment variable OUTBOUND_ALLOW_PRIVATE: not allowed when NODE_ENV is production');
  }
  return {
    nodeEnv: e.NODE_ENV,
    port: e.PORT,
    appUrl: (e.APP_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, ''),
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    encryptionKey: e.ENCRYPTION_KEY ? Buffer.from(e.ENCRYPTION_KEY, 'base64') : undefined,
    newEncryptionKey: e.NEW_ENCRYPTION_KEY ? Buffer.from(e.NEW_ENCRYPTION_KEY, 'base64') : undefined,
    shopify: {
      apiKey: e.SHOPIFY_API_KEY,
      apiSecret: e.SHOPIFY_API_SECRET,
      scopes: e.SHOPIFY_SCOPES.split(',').map((s) => s.trim()).filter(Boolean),
    },
    bigcommerce: { clientId: e.BIGCOMMERCE_CLIENT_ID, clientSecret: e.BIGCOMMERCE_CLIENT_SECRET },
    wix: { appId: e.WIX_APP_ID, appSecret: e.WIX_APP_SECRET, publicKey: e.WIX_PUBLIC_KEY },
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    sms: { providerUrl: e.SMS_PROVIDER_URL, accountSid: e.SMS_ACCOUNT_SID, authToken: e.SMS_AUTH_TOKEN, from: e.SMS_FROM },
    supportBootstrap: { email: e.SUPPORT_BOOTSTRAP_EMAIL, password: e.SUPPORT_BOOTSTRAP_PASSWORD },
    logLevel: e.LOG_LEVEL,
    trustProxy: e.TRUST_PROXY ?? false,
    apiRateLimit: e.API_RATE_LIMIT,
    deliveryRetentionDays: e.DELIVERY_RETENTION_DAYS,
    personalDataExportRetentionDays: e.PERSONAL_DATA_EXPORT_RETENTION_DAYS,
    flowLeaseSeconds: e.FLOW_LEASE_SECONDS,
    extraFrameAncestors: e.EXTRA_FRAME_ANCESTORS ?? [],
    outbound: { allowedPorts: [...new Set([80, 443, ...(e.OUTBOUND_ALLOWED_PORTS ?? [])])], allowPrivate: e.OUTBOUND_ALLOW_PRIVATE },
  };
}
