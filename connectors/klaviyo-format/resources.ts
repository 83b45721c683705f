// The common model → Klaviyo's JSON:API resources, as the official client reads them.
import { randomUUID } from 'node:crypto';
import type { Profile } from '../../src/model/profile.ts';
import { catalogResourceId } from './ids.ts';

export type ItemView = { externalId: string; title: string; url: string | null; imageUrl: string | null; price: number | null };
export type VariantView = { externalId: string; itemExternalId: string; sku: string | null; title: string | null; price: number | null; inventoryQuantity: number | null };

export function itemResource(i: ItemView, base: string) {
  const id = catalogResourceId(i.externalId);
  return {
    type: 'catalog-item',
    id,
    attributes: {
      external_id: i.externalId,
      title: i.title,
      description: '',
      price: i.price,
      url: i.url,
      image_full_url: i.imageUrl,
      image_thumbnail_url: null,
      images: [],
      custom_metadata: null,
      published: true,
    },
    links: { self: `${base}/api/catalog-items/${encodeURIComponent(id)}/` },
  };
}

export function variantResource(v: VariantView, base: string) {
  const id = catalogResourceId(v.externalId);
  const item = catalogResourceId(v.itemExternalId);
  return {
    type: 'catalog-variant',
    id,
    attributes: {
      external_id: v.externalId,
      title: v.title ?? '',
      description: '',
      sku: v.sku ?? '',
      inventory_policy: 0,
      inventory_quantity: v.inventoryQuantity,
      price: v.price,
      url: null,
      image_full_url: null,
      image_thumbnail_url: null,
      images: [],
      custom_metadata: null,
      published: true,
    },
    relationships: { item: { data: { type: 'catalog-item', id: item } } },
    links: { self: `${base}/api/catalog-variants/${encodeURIComponent(id)}/` },
  };
}

export function profileResource(p: Profile, base: string) {
  return {
    type: 'profile',
    id: p.id,
    attributes: {
      email: p.email,
      phone_number: p.phone,
      external_id: p.externalId,
      first_name: p.firstName,
      last_name: p.lastName,
      location: { timezone: p.timezone },
      properties: p.properties,
      created: p.createdAt.toISOString(),
      updated: p.updatedAt.toISOString(),
    },
    links: { self: `${base}/api/profiles/${p.id}/` },
  };
}

/** Bulk jobs run to completion inside the call, so the job answers as complete. */
export function completedJob(type: string, count: number, now: Date) {
  return {
    data: {
      type,
      id: randomUUID(),
      attributes: {
        status: 'complete',
        created_at: now.toISOString(),
        total_count: count,
        completed_count: count,
        failed_count: 0,
        completed_at: now.toISOString(),
        errors: [],
        expires_at: new Date(now.getTime() + 7 * 24 * 3_600_000).toISOString(),
      },
    },
  };
}
