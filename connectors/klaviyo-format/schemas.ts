// Request bodies of Klaviyo's API as the official client sends them (JSON:API documents with
// snake_case attributes). Only the subset Storeflow serves; unknown attributes are ignored,
// as Klaviyo's own optional ones are.
import { z } from 'zod';
import { CUSTOM_CATALOG_PREFIX, externalIdOf } from './ids.ts';

const text = (max: number) => z.string().max(max);
const Properties = z.record(z.string().max(255), z.unknown());

/** `$custom:::$default:::<id>` → `<id>`. */
export const CatalogId = z
  .string()
  .transform((v, ctx) => {
    const id = externalIdOf(v);
    if (id === null) {
      ctx.addIssue({ code: 'custom', message: `must be a custom catalog id such as "${CUSTOM_CATALOG_PREFIX}SKU-1"` });
      return z.NEVER;
    }
    return id;
  });

export const ProfileIdentifiers = z.object({
  email: text(320).optional(),
  phone_number: text(40).optional(),
  external_id: text(255).optional(),
  anonymous_id: text(255).optional(),
});
export type ProfileIdentifiers = z.infer<typeof ProfileIdentifiers>;

const ProfileRef = z.object({
  data: z.object({ type: z.literal('profile'), id: z.string().optional(), attributes: ProfileIdentifiers.passthrough() }),
});

const Metric = z.object({
  data: z.object({ type: z.literal('metric'), attributes: z.object({ name: z.string().trim().min(1).max(255) }) }),
});

const EventTime = z.coerce.date().optional();
const EventValue = z.number().finite().optional();

export const EventAttributes = z.object({
  properties: Properties.default({}),
  time: EventTime,
  value: EventValue,
  unique_id: z.string().trim().min(1).max(255).optional(),
  metric: Metric,
  profile: ProfileRef,
});
export type EventAttributes = z.infer<typeof EventAttributes>;

export const EventCreate = z.object({ data: z.object({ type: z.literal('event'), attributes: EventAttributes }) });

const BulkEvent = z.object({
  type: z.literal('event'),
  attributes: z.object({
    properties: Properties.default({}),
    time: EventTime,
    value: EventValue,
    unique_id: z.string().trim().min(1).max(255).optional(),
    metric: Metric,
  }),
});

export const EventBulkCreateJob = z.object({
  data: z.object({
    type: z.literal('event-bulk-create-job'),
    attributes: z.object({
      'events-bulk-create': z.object({
        data: z
          .array(
            z.object({
              type: z.literal('event-bulk-create'),
              attributes: z.object({ profile: ProfileRef, events: z.object({ data: z.array(BulkEvent).min(1) }) }),
            }),
          )
          .min(1),
      }),
    }),
  }),
});

const ProfileAttributes = ProfileIdentifiers.extend({
  first_name: text(255).optional(),
  last_name: text(255).optional(),
  location: z.object({ timezone: z.string().max(100).optional() }).passthrough().optional(),
  properties: Properties.optional(),
});
export type ProfileAttributes = z.infer<typeof ProfileAttributes>;

export const ProfileCreate = z.object({ data: z.object({ type: z.literal('profile'), attributes: ProfileAttributes }) });
export const ProfileUpdate = z.object({ data: z.object({ type: z.literal('profile'), id: z.string(), attributes: ProfileAttributes }) });

const Consent = z.enum(['SUBSCRIBED', 'UNSUBSCRIBED']);
const Marketing = z.object({ marketing: z.object({ consent: Consent }).optional() }).passthrough();

export const SubscriptionProfile = z.object({
  type: z.literal('profile'),
  attributes: z.object({
    email: text(320).optional(),
    phone_number: text(40).optional(),
    subscriptions: z.object({ email: Marketing.optional(), sms: Marketing.optional() }).passthrough().optional(),
  }),
});

export const SubscriptionBulkCreateJob = z.object({
  data: z.object({
    type: z.literal('profile-subscription-bulk-create-job'),
    attributes: z.object({ custom_source: z.string().max(255).optional(), profiles: z.object({ data: z.array(SubscriptionProfile).min(1).max(1000) }) }),
    relationships: z.object({ list: z.object({ data: z.object({ type: z.literal('list'), id: z.string().min(1).max(255) }) }) }).optional(),
  }),
});

const ItemFields = z.object({
  title: z.string().trim().min(1).max(1000),
  price: z.number().finite().min(0).optional(),
  description: z.string().optional(),
  url: z.url().max(2048).optional(),
  image_full_url: z.url().max(2048).optional(),
});

export const ItemCreate = z.object({
  type: z.literal('catalog-item'),
  attributes: ItemFields.extend({
    external_id: z.string().trim().min(1).max(255),
    integration_type: z.literal('$custom').default('$custom'),
    catalog_type: z.literal('$default').default('$default'),
  }),
});
export const ItemUpdate = z.object({ type: z.literal('catalog-item'), id: CatalogId, attributes: ItemFields.partial() });
export type ItemCreate = z.infer<typeof ItemCreate>;
export type ItemUpdate = z.infer<typeof ItemUpdate>;

const VariantFields = z.object({
  title: z.string().max(1000).optional(),
  sku: z.string().max(255).optional(),
  price: z.number().finite().min(0).optional(),
  inventory_quantity: z.number().int().min(-1_000_000_000).max(1_000_000_000).optional(),
  inventory_policy: z.union([z.literal(0), z.literal(1), z.literal(2)]).optional(),
  description: z.string().optional(),
  url: z.url().max(2048).optional(),
  image_full_url: z.url().max(2048).optional(),
});

export const VariantCreate = z.object({
  type: z.literal('catalog-variant'),
  attributes: VariantFields.extend({
    external_id: z.string().trim().min(1).max(255),
    integration_type: z.literal('$custom').default('$custom'),
    catalog_type: z.literal('$default').default('$default'),
  }),
  relationships: z.object({ item: z.object({ data: z.object({ type: z.literal('catalog-item'), id: CatalogId }) }) }),
});
export const VariantUpdate = z.object({ type: z.literal('catalog-variant'), id: CatalogId, attributes: VariantFields });
export type VariantCreate = z.infer<typeof VariantCreate>;
export type VariantUpdate = z.infer<typeof VariantUpdate>;

const one = <S extends z.ZodType>(s: S) => z.object({ data: s });
const list = <S extends z.ZodType>(s: S) => z.object({ data: z.array(s).min(1).max(100) });
const job = <T extends string, A extends z.ZodRawShape>(type: T, attributes: A) => z.object({ data: z.object({ type: z.literal(type), attributes: z.object(attributes) }) });

export const Catalog = {
  itemCreate: one(ItemCreate),
  itemUpdate: one(ItemUpdate),
  variantCreate: one(VariantCreate),
  variantUpdate: one(VariantUpdate),
  itemBulkCreate: job('catalog-item-bulk-create-job', { items: list(ItemCreate) }),
  itemBulkUpdate: job('catalog-item-bulk-update-job', { items: list(ItemUpdate) }),
  variantBulkCreate: job('catalog-variant-bulk-create-job', { variants: list(VariantCreate) }),
  variantBulkUpdate: job('catalog-variant-bulk-update-job', { variants: list(VariantUpdate) }),
};

export const BackInStockCreate = z.object({
  data: z.object({
    type: z.literal('back-in-stock-subscription'),
    attributes: z.object({
      channels: z.array(z.enum(['EMAIL', 'SMS', 'PUSH'])).min(1),
      profile: ProfileRef,
    }),
    relationships: z.object({ variant: z.object({ data: z.object({ type: z.literal('catalog-variant'), id: CatalogId }) }) }),
  }),
});
export type BackInStockCreate = z.infer<typeof BackInStockCreate>;

/** `equals(email,"a@b.c")`, the one profile filter served; also phone_number and external_id. */
export function parseProfileFilter(filter: string): { field: 'email' | 'phone_number' | 'external_id'; value: string } | null {
  const m = /^equals\((email|phone_number|external_id),\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\)$/.exec(filter.trim());
  if (!m) return null;
  return { field: m[1] as 'email' | 'phone_number' | 'external_id', value: (m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1') };
}

/** Client-side subscription (klaviyo.js and storefront forms): one profile, one list. */
export const ClientSubscriptionCreate = z.object({
  data: z.object({
    type: z.literal('subscription'),
    attributes: z.object({ custom_source: z.string().max(255).optional(), profile: z.object({ data: SubscriptionProfile }) }),
    relationships: z.object({ list: z.object({ data: z.object({ type: z.literal('list'), id: z.string().min(1).max(255) }) }) }).optional(),
  }),
});
