// Klaviyo's profile endpoints: create (409 duplicate_profile naming the holder, as Klaviyo does),
// update by id, get by id or by `filter=equals(email,"…")`, and the subscription job for consent.
import { Router } from 'express';
import { ProfileCreate, ProfileUpdate, SubscriptionBulkCreateJob, parseProfileFilter } from '../../../connectors/klaviyo-format/schemas.ts';
import { profileOf, subscriptionOf } from '../../../connectors/klaviyo-format/map.ts';
import { profileResource } from '../../../connectors/klaviyo-format/resources.ts';
import { createProfile, updateProfileById } from '../../ingest/profile-writes.ts';
import { ingestProfiles } from '../../ingest/ingest-profiles.ts';
import { profileIdentity, profilesPage } from '../../merchant/store-data-pages.ts';
import { Email, Phone } from '../../model/profile.ts';
import type { StoreId } from '../../model/ids.ts';
import type { AppContext } from '../../runtime.ts';
import type { AuthedLocals } from '../auth-private-key.ts';
import { KlaviyoError, notFound, parseDocument } from '../klaviyo/errors.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function klaviyoProfileRoutes(ctx: AppContext): Router {
  const r = Router();
  const base = ctx.config.appUrl;
  const profileById = async (storeId: StoreId, id: string) => {
    const stored = UUID.test(id) ? await profileIdentity(ctx.db, storeId, id) : undefined;
    if (!stored) return undefined;
    const by = stored.externalId ? { externalId: stored.externalId } : stored.email ? { email: stored.email } : stored.phone ? { phone: stored.phone } : {};
    return (await profilesPage(ctx.db, storeId, { ...by, limit: 1 })).find((p) => p.id === stored.id);
  };

  r.post('/profiles', async (req, res) => {
    const { store } = res.locals as AuthedLocals;
    const { data } = parseDocument(ProfileCreate, req.body);
    const outcome = await createProfile(ctx.db.pool, store.id, profileOf(data.attributes, '/data/attributes'));
    if ('exists' in outcome) {
      throw new KlaviyoError(409, 'duplicate_profile', 'Conflict.', 'A profile already exists with one of these identifiers.', {
        source: { pointer: '/data/attributes' },
        meta: { duplicate_profile_id: outcome.exists },
      });
    }
    res.status(201).type('application/vnd.api+json').json({ data: profileResource((await profileById(store.id, outcome.created))!, base) });
  });

  r.get('/profiles', async (req, res) => {
    const { store } = res.locals as AuthedLocals;
    const raw = typeof req.query.filter === 'string' ? req.query.filter : '';
    const filter = parseProfileFilter(raw);
    if (!filter) {
      throw new KlaviyoError(400, 'invalid', 'Invalid input.', 'Filter profiles with equals(email,"…"), equals(phone_number,"…") or equals(external_id,"…").', { source: { parameter: 'filter' } });
    }
    const value = filter.field === 'email' ? Email.safeParse(filter.value) : filter.field === 'phone_number' ? Phone.safeParse(filter.value) : { success: true as const, data: filter.value };
    const rows = !value.success
      ? []
      : await profilesPage(ctx.db, store.id, {
          ...(filter.field === 'email' ? { email: value.data } : filter.field === 'phone_number' ? { phone: value.data } : { externalId: value.data }),
          limit: 100,
        });
    res.type('application/vnd.api+json').json({ data: rows.map((p) => profileResource(p, base)), links: { self: `${base}/api/profiles/`, next: null, prev: null } });
  });

  r.get('/profiles/:id', async (req, res) => {
    const { store } = res.locals as AuthedLocals;
    const profile = await profileById(store.id, req.params.id);
    if (!profile) throw notFound(`No profile with id "${req.params.id.slice(0, 100)}".`);
    res.type('application/vnd.api+json').json({ data: profileResource(profile, base) });
  });

  r.patch('/profiles/:id', async (req, res) => {
    const { store } = res.locals as AuthedLocals;
    const { data } = parseDocument(ProfileUpdate, req.body);
    if (data.id !== req.params.id) throw new KlaviyoError(400, 'invalid', 'Invalid input.', 'The id in the body must match the id in the path.', { source: { pointer: '/data/id' } });
    const patch = profileOf({ ...data.attributes, external_id: data.attributes.external_id ?? `-${data.id}` }, '/data/attributes');
    // profileOf needs an identifier to validate; the path's id is the identifier of an update.
    if (data.attributes.external_id === undefined) delete patch.externalId;
    const outcome = UUID.test(data.id) ? await updateProfileById(ctx.db.pool, store.id, data.id, patch) : { missing: true as const };
    if ('missing' in outcome) throw notFound(`No profile with id "${data.id.slice(0, 100)}".`);
    if ('conflict' in outcome) {
      const member = { email: 'email', phone: 'phone_number', externalId: 'external_id' }[outcome.conflict];
      throw new KlaviyoError(409, 'conflict', 'Conflict.', `The profile's ${member} cannot be changed to one that is already in use or replace the one it has.`, { source: { pointer: `/data/attributes/${member}` } });
    }
    res.type('application/vnd.api+json').json({ data: profileResource((await profileById(store.id, outcome.updated))!, base) });
  });

  r.post('/profile-subscription-bulk-create-jobs', async (req, res) => {
    const { store } = res.locals as AuthedLocals;
    const { data } = parseDocument(SubscriptionBulkCreateJob, req.body);
    const list = data.relationships?.list.data.id;
    const profiles = data.attributes.profiles.data.map((p, i) => subscriptionOf(p, list, `/data/attributes/profiles/data/${i}/attributes`));
    await ingestProfiles(ctx.db.pool, store.id, profiles);
    res.status(202).end();
  });
  return r;
}
