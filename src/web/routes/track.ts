// Storefront events from shoppers' browsers, authenticated by the store's public key only:
// anyone can call it, so it accepts just the storefront metrics and is rate limited.
import express, { Router } from 'express';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rateLimit } from 'express-rate-limit';
import { TrackBody } from '../../../connectors/custom/payload-schemas.ts';
import { toEventInput } from '../../../connectors/custom/normalise-events.ts';
import { ingestEvents } from '../../ingest/ingest-events.ts';
import { storeForPublicKey } from '../../stores/store-lookup.ts';
import { linkHosts } from '../../stores/storefront-hosts.ts';
import { withoutForeignLinks } from '../../model/store-urls.ts';
import type { AppContext } from '../../runtime.ts';
import { ProblemError, sendProblem } from '../problem.ts';
import { parseBody } from '../parse-batch.ts';

const SNIPPET = readFileSync(join(import.meta.dirname, '..', 'assets', 't.js'), 'utf8');

/** Storefront endpoints answer any origin; they trust only the public key they are given. */
export function cors(res: express.Response, allowHeaders = 'Content-Type'): void {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
  res.setHeader('Access-Control-Allow-Headers', allowHeaders);
  res.setHeader('Access-Control-Max-Age', '86400');
  res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
}

export function trackRoutes(ctx: AppContext): Router {
  const r = Router();
  r.get('/t.js', (_req, res) => {
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    res.type('application/javascript').setHeader('Cache-Control', 'public, max-age=3600');
    res.send(SNIPPET);
  });
  r.options('/api/v1/track', (_req, res) => {
    cors(res);
    res.sendStatus(204);
  });
  r.post(
    '/api/v1/track',
    (_req, res, next) => {
      cors(res);
      next();
    },
    rateLimit({
      windowMs: 60_000,
      limit: 120,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      handler: (_req, res) => sendProblem(res, 429, 'Too many storefront events from this address; slow down.'),
    }),
    // sendBeacon posts text/plain to avoid a preflight; JSON is accepted too.
    express.text({ type: ['text/plain', 'application/json'], limit: '32kb' }),
    async (req, res) => {
      let raw: unknown;
      try {
        raw = JSON.parse(typeof req.body === 'string' ? req.body : '');
      } catch {
        throw new ProblemError(400, 'The body is not valid JSON.', { slug: 'malformed-json' });
      }
      const body = parseBody(TrackBody, raw);
      const store = await storeForPublicKey(ctx.db, body.publicKey);
      if (!store || store.status !== 'active') throw new ProblemError(401, 'Unknown public key.', { slug: 'invalid-key' });
      // The public key is public: a link it brings stays only when it points at the store itself,
      // or an abandoned-checkout mail would carry an attacker's link through our click redirect.
      const { value: properties, removed } = withoutForeignLinks(body.properties, await linkHosts(ctx.db, store));
      if (removed.length > 0) req.log.info({ storeId: store.id, metric: body.metric, removed: removed.slice(0, 20) }, 'track: links to other hosts dropped');
      const event = toEventInput({ ...body, properties, time: undefined }, store.eventMapping, new Date());
      const result = await ingestEvents(ctx.db.pool, store.id, [event]);
      res.status(202).json({ accepted: result.accepted, duplicates: result.duplicates });
    },
  );
  return r;
}
