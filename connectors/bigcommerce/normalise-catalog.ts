// A Catalog v3 product (with its variants) in the common model. BigCommerce tracks stock on the
// product or on each variant; either way ingest derives the product-level quantity the trigger
// uses (DESIGN §4), so both shapes are passed through as BigCommerce states them.
import type { ProductInput, VariantInput } from '../../src/model/catalog.ts';
import type { ExternalProductId, ExternalVariantId } from '../../src/model/ids.ts';
import type { ApiProduct } from './payload-schemas.ts';

function absoluteUrl(domain: string, path: string | undefined): string | null {
  if (!path) return null;
  try {
    return new URL(path, `https://${domain}`).toString();
  } catch {
    return null;
  }
}

function httpUrl(u: string | undefined): string | null {
  if (!u) return null;
  try {
    const parsed = new URL(u);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.toString() : null;
  } catch {
    return null;
  }
}

export function toProductInput(p: ApiProduct, domain: string, observedAt: Date): ProductInput {
  const image = p.images.find((i) => i.is_thumbnail) ?? p.images[0];
  const variants: VariantInput[] = p.variants.map((v) => ({
    externalId: String(v.id) as ExternalVariantId,
    sku: v.sku ?? null,
    title: v.option_values.length > 0 ? v.option_values.map((o) => o.label).join(' / ') : null,
    price: v.price ?? v.calculated_price ?? p.price ?? null,
    // Variant levels mean something only when stock is tracked per variant.
    inventoryQuantity: p.inventory_tracking === 'variant' ? (v.inventory_level ?? null) : null,
  }));
  return {
    externalId: String(p.id) as ExternalProductId,
    title: p.name.trim() || `Product ${p.id}`,
    url: absoluteUrl(domain, p.custom_url?.url),
    imageUrl: httpUrl(image?.url_standard),
    price: p.price ?? null,
    inventoryTracking: p.inventory_tracking,
    inventoryQuantity: p.inventory_tracking === 'product' ? (p.inventory_level ?? null) : null,
    variants,
    // The state was read at this moment; it orders this write against webhooks and syncs.
    updatedAt: observedAt,
  };
}
