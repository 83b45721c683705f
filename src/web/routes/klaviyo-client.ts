// Klaviyo's client-side endpoints for storefront scripts, keyed by `company_id` = the store's
// public key. Anyone can call them, so they get /api/v1/track's guards: CORS for any origin, a
// per-address rate limit, a small body, storefront metrics only, and no links to other hosts.
import express, { Router, type Request, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import { TrackBody } from '../../../connectors/custom/payload-schemas.ts';
import { ClientSubscriptionCreate, EventCreate, ProfileCreate } from '../../../connectors/klaviyo-format/schemas.ts';
import { eventOf, identityOf, profileOf, subscriptionOf } from '../../../connectors/klaviyo-format/map.ts';
import { ingestEvents } from '../../ingest/ingest-events.ts';
import { ingestProfiles } from '../../ingest/ingest-profiles.ts';
import { storeForPublicKey } from '../../stores/store-lookup.ts';
import { linkHosts } from '../../stores/storefront-hosts.ts';
import { withoutForeignLinks } from '../../model/store-urls.ts';
import type { Store } from '../../model/store.ts';
import type { AppContext } from '../../runtime.ts';
import { KlaviyoError, parseDocument, sendKlaviyoError } from '../klaviyo/errors.ts';
import { requireRevision } from '../klaviyo/guard.ts';
import { recordBackInStock } from './klaviyo-back-in-stock.ts';
import { cors as storefrontCors } from './track.ts';

const STOREFRONT_METRICS: readonly string[] = TrackBody.shape.metric.options;

const cors = (res: Response) => storefrontCors(res, 'Content-Type, revision');

export function klaviyoClientEndpointRoutes(ctx: AppContext): Router {
  const r = Router();
  r.options('/{*path}', (_req, res) => {
    cors(res);
    res.sendStatus(204);
  });
  r.use((_req, res, next) => {
    cors(res);
    next();
  });
  r.use(
    rateLimit({
      windowMs: 60_000,
      limit: 120,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      handler: (_req, res) => sendKlaviyoError(res, new KlaviyoError(429, 'throttled', 'Request was throttled.', 'Too many storefront calls from this address; slow down.')),
    }),
  );
  r.use(requireRevision);
  r.use(express.text({ type: ['text/plain', 'application/json', 'application/vnd.api+json'], limit: '32kb' }));

  /** The store named by company_id, and the body with links to other hosts removed. */
  const open = async (req: Request): Promise<{ store: Store; body: unknown }> => {
    const companyId = typeof req.query.company_id === 'string' ? req.query.company_id : '';
    const store = companyId && companyId.length <= 100 ? await storeForPublicKey(ctx.db, companyId) : undefined;
    if (!store || store.status !== 'active') {
      throw new KlaviyoError(400, 'invalid', 'Invalid input.', 'company_id must be the store\'s public key.', { source: { parameter: 'company_id' } });
    }
    let raw: unknown;
    try {
      raw = JSON.parse(typeof req.body === 'string' ? req.body : '');
    } catch {
      throw new KlaviyoError(400, 'parse_error', 'Malformed request.', 'The body is not valid JSON.');
    }
    const { value, removed } = withoutForeignLinks(raw, await linkHosts(ctx.db, store));
    if (removed.length > 0) req.log.info({ storeId: store.id, removed: removed.slice(0, 20) }, 'client api: links to other hosts dropped');
    return { store, body: value };
  };

  r.post('/events', async (req, res) => {
    const { store, body } = await open(req);
    const { data } = parseDocument(EventCreate, body);
    const name = data.attributes.metric.data.attributes.name;
    if (!STOREFRONT_METRICS.includes(name)) {
      throw new KlaviyoError(400, 'invalid', 'Invalid input.', `From a storefront only ${STOREFRONT_METRICS.join(', ')} are accepted; send other metrics with the private key.`, {
        source: { pointer: '/data/attributes/metric/data/attributes/name' },
      });
    }
    const profile = identityOf(data.attributes.profile.data.attributes, '/data/attributes/profile/data/attributes');
    // The shopper's clock is not trusted: the event happens when it arrives.
    const event = eventOf({ ...data.attributes, time: undefined }, profile, store.eventMapping, new Date(), '/data/attributes');
    await ingestEvents(ctx.db.pool, store.id, [event]);
    res.status(202).end();
  });
  r.post('/profiles', async (req, res) => {
    const { store, body } = await open(req);
    const { data } = parseDocument(ProfileCreate, body);
    await ingestProfiles(ctx.db.pool, store.id, [profileOf(data.attributes, '/data/attributes')]);
    res.status(202).end();
  });
  r.post('/subscriptions', async (req, res) => {
    const { store, body } = await open(req);
    const { data } = parseDocument(ClientSubscriptionCreate, body);
    await ingestProfiles(ctx.db.pool, store.id, [subscriptionOf(data.attributes.profile.data, data.relationships?.list.data.id, '/data/attributes/profile/data/attributes')]);
    res.status(202).end();
  });
  r.post('/back-in-stock-subscriptions', async (req, res) => {
    const { store, body } = await open(req);
    await recordBackInStock(ctx, store.id, body, 'storefront');
    res.status(202).end();
  });
  return r;
}
