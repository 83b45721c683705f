// Klaviyo's JSON:API documents → the common model's inputs. The common model's own schemas
// (ProfileIdentity, EventItem, ProfileInput) decide what is valid, so a Klaviyo event is held to
// exactly the rules of /api/v1; only the field names in a refusal are Klaviyo's.
import type { z } from 'zod';
import { EventItem } from '../custom/payload-schemas.ts';
import { toEventInput } from '../custom/normalise-events.ts';
import type { EventInput } from '../../src/model/event.ts';
import { ProfileIdentity, ProfileInput } from '../../src/model/profile.ts';
import type { EventMapping } from '../../src/model/store.ts';
import { FormatError, pointerOf } from './issues.ts';
import type { EventAttributes, ProfileAttributes, ProfileIdentifiers, SubscriptionProfile } from './schemas.ts';

const IDENTITY_NAMES = { email: '/email', phone: '/phone_number', externalId: '/external_id', anonymousId: '/anonymous_id' };

function parsed<S extends z.ZodType>(schema: S, value: unknown, base: string, rename: Record<string, string>): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new FormatError(r.error.issues.map((i) => ({ pointer: pointerOf(base, i.path, rename), detail: i.message })));
}

/** Klaviyo's profile identifiers in our names; anonymous_id is carried as the model's anonymousId. */
function identityFields(a: ProfileIdentifiers) {
  return { email: a.email, phone: a.phone_number, externalId: a.external_id, anonymousId: a.anonymous_id };
}

export function identityOf(a: ProfileIdentifiers, pointer: string): ProfileIdentity {
  return parsed(ProfileIdentity, identityFields(a), pointer, IDENTITY_NAMES);
}

/**
 * One Klaviyo event (`pointer` names its attributes) → the common model. The store's event
 * mapping applies as on /api/v1, so `ProductID`, `Items` and `VariantID` are read the same way.
 */
export function eventOf(a: Omit<EventAttributes, 'profile'>, profile: ProfileIdentity, mapping: EventMapping, receivedAt: Date, pointer: string): EventInput {
  const item = parsed(
    EventItem,
    { metric: a.metric.data.attributes.name, profile, properties: a.properties, value: a.value, time: a.time, uniqueId: a.unique_id },
    pointer,
    { metric: '/metric/data/attributes/name', uniqueId: '/unique_id', profile: '/profile/data/attributes' },
  );
  return toEventInput(item, mapping, receivedAt);
}

export function profileOf(a: ProfileAttributes, pointer: string): ProfileInput {
  return parsed(
    ProfileInput,
    {
      ...identityFields(a),
      firstName: a.first_name,
      lastName: a.last_name,
      timezone: a.location?.timezone,
      properties: a.properties,
    },
    pointer,
    { ...IDENTITY_NAMES, firstName: '/first_name', lastName: '/last_name', timezone: '/location/timezone' },
  );
}

const CONSENT = { SUBSCRIBED: 'subscribed', UNSUBSCRIBED: 'unsubscribed' } as const;

/** A subscription job's profile: its marketing consent per channel, and the list it joins. */
export function subscriptionOf(p: z.infer<typeof SubscriptionProfile>, list: string | undefined, pointer: string): ProfileInput {
  const email = p.attributes.subscriptions?.email?.marketing?.consent;
  const sms = p.attributes.subscriptions?.sms?.marketing?.consent;
  return parsed(
    ProfileInput,
    {
      email: p.attributes.email,
      phone: p.attributes.phone_number,
      consent: { ...(email ? { email: CONSENT[email] } : {}), ...(sms ? { sms: CONSENT[sms] } : {}) },
      ...(list ? { lists: [list] } : {}),
    },
    pointer,
    IDENTITY_NAMES,
  );
}
