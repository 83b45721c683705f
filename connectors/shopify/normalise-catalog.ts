// Shopify products → the common catalog model. Shopify tracks stock per variant (each variant
// has an inventory item, summed over locations), so a product with any tracked variant is
// variant-tracked and its quantity is the sum over its tracked variants. Whether a variant is
// tracked is its inventory item's `tracked`: read from the Admin API (sync and read-back) and
// kept with the variant. Product webhooks have not said since 2024-07, so they never decide it.
import type { ProductInput, VariantInput } from '../../src/model/catalog.ts';
import { ExternalProductId, ExternalVariantId } from '../../src/model/ids.ts';
import type { ProductPayload } from './payload-schemas.ts';

export type ShopifyVariant = {
  id: string;
  title: string | null;
  sku: string | null;
  price: number | null;
  /** undefined: not known (a webhook about a variant we never read); its quantity does not count. */
  tracked: boolean | undefined;
  /** Whether `tracked` comes from the source itself (the inventory item), so it is stored. */
  trackedIsAuthoritative: boolean;
  /** Sellable units over all locations. */
  quantity: number | null;
};

export type ShopifyProduct = {
  id: string;
  title: string;
  handle: string | null;
  url: string | null;
  imageUrl: string | null;
  variants: ShopifyVariant[];
  updatedAt: Date | undefined;
};

function validUrl(u: string | null | undefined): string | null {
  if (!u) return null;
  try {
    return new URL(u).protocol === 'https:' ? u : null;
  } catch {
    return null;
  }
}

function validDate(s: string | null | undefined): Date | undefined {
  const d = s ? new Date(s) : undefined;
  return d && !Number.isNaN(d.getTime()) ? d : undefined;
}

export function toProductInput(p: ShopifyProduct, shopDomain: string): ProductInput {
  const variants: VariantInput[] = p.variants.map((v) => ({
    externalId: ExternalVariantId.parse(v.id),
    sku: v.sku || null,
    title: v.title ?? null,
    price: v.price,
    inventoryQuantity: v.tracked === true ? v.quantity : null,
    ...(v.trackedIsAuthoritative && v.tracked !== undefined ? { inventoryTracked: v.tracked } : {}),
  }));
  const prices = p.variants.map((v) => v.price).filter((x): x is number => x !== null);
  const url = p.url ?? (p.handle ? `https://${shopDomain}/products/${encodeURIComponent(p.handle)}` : null);
  return {
    externalId: ExternalProductId.parse(p.id),
    title: p.title.trim() || `Product ${p.id}`,
    url: validUrl(url),
    imageUrl: validUrl(p.imageUrl),
    price: prices.length ? Math.min(...prices) : null,
    inventoryTracking: p.variants.some((v) => v.tracked === true) ? 'variant' : 'none',
    inventoryQuantity: null,
    variants,
    ...(p.updatedAt ? { updatedAt: p.updatedAt } : {}),
  };
}

/**
 * The products/create and products/update payload; its updated_at orders late retries. Tracking
 * is the variant's stored flag (`stored`, by variant id), unless the payload names the tracker
 * itself (`inventory_management`, present only in API versions before 2024-07).
 */
export function fromProductPayload(p: ProductPayload, stored: ReadonlyMap<string, boolean> = new Map()): ShopifyProduct {
  return {
    id: p.id,
    title: p.title,
    handle: p.handle ?? null,
    url: null,
    imageUrl: p.image?.src ?? p.images?.[0]?.src ?? null,
    updatedAt: validDate(p.updated_at),
    variants: p.variants.map((v) => ({
      id: v.id,
      title: v.title ?? null,
      sku: v.sku ?? null,
      price: v.price,
      // A numeric inventory_quantity says nothing: Shopify reports one for untracked variants too.
      tracked: v.inventory_management === undefined ? stored.get(v.id) : v.inventory_management === 'shopify',
      trackedIsAuthoritative: v.inventory_management !== undefined,
      quantity: v.inventory_quantity ?? null,
    })),
  };
}

/** Variants whose tracking neither the payload nor what we stored can tell. */
export function hasUnknownTracking(p: ShopifyProduct): boolean {
  return p.variants.some((v) => v.tracked === undefined);
}
