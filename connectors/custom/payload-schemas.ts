// Request bodies of the custom-catalog API (DESIGN §3). Each batch is parsed item by item so
// a refusal can name every bad item by index and field.
import { z } from 'zod';
import { MAX_MONEY, ProductInput } from '../../src/model/catalog.ts';
import { ProfileIdentity, ProfileInput } from '../../src/model/profile.ts';

export const MAX_BATCH = 1000;

export const CatalogItem = ProductInput;

/** An event's value lands in a numeric(14, 2) column. */
const EventValue = z.coerce.number().finite().min(-MAX_MONEY).max(MAX_MONEY);

export const EventItem = z.object({
  metric: z.string().trim().min(1).max(255),
  profile: ProfileIdentity,
  properties: z.record(z.string().max(255), z.unknown()).default({}),
  value: EventValue.nullish(),
  time: z.coerce
    .date()
    .refine((d) => d.getTime() >= Date.UTC(2000, 0, 1), 'must be after 2000-01-01')
    .refine((d) => d.getTime() <= Date.now() + 24 * 3600_000, 'must not lie more than a day in the future')
    .optional(),
  uniqueId: z.string().trim().min(1).max(255).optional(),
});
export type EventItem = z.infer<typeof EventItem>;

export const ProfileItem = ProfileInput;

/** The envelope of each batch route: the list's key and its item schema. */
export const Batches = {
  catalog: { key: 'items', item: CatalogItem },
  events: { key: 'events', item: EventItem },
  profiles: { key: 'profiles', item: ProfileItem },
} as const;

export const TrackBody = z.object({
  publicKey: z.string().min(1).max(100),
  metric: z.enum(['Viewed Product', 'Added to Cart', 'Started Checkout']),
  profile: ProfileIdentity,
  properties: z.record(z.string().max(255), z.unknown()).default({}),
  value: EventValue.nullish(),
  uniqueId: z.string().trim().min(1).max(255).optional(),
});
export type TrackBody = z.infer<typeof TrackBody>;
