// Wix Stores products (as the SDK returns them: `_id`, `_updatedDate`) → the common model.
// Wix keeps stock per variant (and, in Catalog V3, per variant and location), so the product's
// quantity is the sum over its tracked variants; a product without options has one default
// variant holding its stock.
import { z } from 'zod';
import type { LocationLevel, ProductInput, VariantInput } from '../../src/model/catalog.ts';
import type { ExternalProductId, ExternalVariantId } from '../../src/model/ids.ts';

const num = z.number().finite().nullish();
const str = z.string().nullish();

export const DEFAULT_VARIANT_ID = '00000000-0000-0000-0000-000000000000';

export const V1Product = z.looseObject({
  _id: z.string().min(1),
  name: str,
  slug: str,
  productPageUrl: z.looseObject({ base: str, path: str }).nullish(),
  media: z.looseObject({ mainMedia: z.looseObject({ image: z.looseObject({ url: str }).nullish() }).nullish() }).nullish(),
  priceData: z.looseObject({ price: num }).nullish(),
  stock: z.looseObject({ trackInventory: z.boolean().nullish(), quantity: num }).nullish(),
  variants: z
    .array(
      z.looseObject({
        _id: z.string().min(1),
        variant: z.looseObject({ sku: str, priceData: z.looseObject({ price: num }).nullish() }).nullish(),
        stock: z.looseObject({ trackQuantity: z.boolean().nullish(), quantity: num }).nullish(),
      }),
    )
    .nullish(),
});
export type V1Product = z.infer<typeof V1Product>;

export const V3Product = z.looseObject({
  _id: z.string().min(1),
  name: str,
  slug: str,
  // The SDK flattens the REST `{ relativePath, url }` to the absolute URL string.
  url: z.union([z.string(), z.looseObject({ url: str })]).nullish(),
  media: z.looseObject({ main: z.looseObject({ url: str, image: str }).nullish() }).nullish(),
  actualPriceRange: z.looseObject({ minValue: z.looseObject({ amount: str }).nullish() }).nullish(),
  variantsInfo: z
    .looseObject({
      variants: z
        .array(
          z.looseObject({
            _id: z.string().min(1),
            sku: str,
            price: z.looseObject({ actualPrice: z.looseObject({ amount: str }).nullish() }).nullish(),
          }),
        )
        .nullish(),
    })
    .nullish(),
});
export type V3Product = z.infer<typeof V3Product>;

export const V3InventoryItem = z.looseObject({
  productId: z.string().min(1),
  variantId: z.string().min(1),
  locationId: str,
  trackQuantity: z.boolean().nullish(),
  quantity: num,
});
export type V3InventoryItem = z.infer<typeof V3InventoryItem>;

function safeUrl(v: string | null | undefined): string | null {
  if (!v) return null;
  const withScheme = v.startsWith('//') ? `https:${v}` : v;
  return URL.canParse(withScheme) && /^https?:/i.test(withScheme) && withScheme.length <= 2048 ? withScheme : null;
}

function joinUrl(base: string | null | undefined, path: string | null | undefined): string | null {
  if (!base) return null;
  if (!path) return safeUrl(base);
  return safeUrl(`${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`);
}

function money(v: number | string | null | undefined): number | null {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : null;
}

function title(p: { name?: string | null; slug?: string | null; _id: string }): string {
  return (p.name?.trim() || p.slug?.trim() || p._id).slice(0, 1000);
}

/** Whole quantities only; Wix reports them as numbers that are always integers. */
function quantity(v: number | null | undefined): number | null {
  return typeof v === 'number' && Number.isInteger(v) ? v : null;
}

function withTracking(base: Omit<ProductInput, 'inventoryTracking' | 'inventoryQuantity' | 'variants'>, variants: VariantInput[], updatedAt: Date): ProductInput {
  const tracked = variants.filter((v) => v.inventoryQuantity !== null && v.inventoryQuantity !== undefined);
  return {
    ...base,
    // Wix trigger support is product level only: the product carries the variants' sum.
    inventoryTracking: tracked.length > 0 ? 'product' : 'none',
    inventoryQuantity: tracked.length > 0 ? tracked.reduce((sum, v) => sum + (v.inventoryQuantity as number), 0) : null,
    variants,
    updatedAt,
  };
}

export function mapV1Product(p: V1Product, fetchedAt: Date): ProductInput {
  const tracking = p.stock?.trackInventory === true;
  const listed = p.variants?.length
    ? p.variants
    : [{ _id: DEFAULT_VARIANT_ID, variant: null, stock: { trackQuantity: tracking, quantity: p.stock?.quantity } }];
  const variants: VariantInput[] = listed.map((v) => ({
    externalId: v._id as ExternalVariantId,
    sku: v.variant?.sku?.slice(0, 255) || null,
    title: null,
    price: money(v.variant?.priceData?.price) ?? money(p.priceData?.price),
    inventoryQuantity: tracking && v.stock?.trackQuantity !== false ? quantity(v.stock?.quantity) : null,
  }));
  return withTracking(
    {
      externalId: p._id as ExternalProductId,
      title: title(p),
      url: joinUrl(p.productPageUrl?.base, p.productPageUrl?.path),
      imageUrl: safeUrl(p.media?.mainMedia?.image?.url),
      price: money(p.priceData?.price),
    },
    variants,
    fetchedAt,
  );
}

/** A V3 product with the inventory items of its variants (one per variant and location). */
export function mapV3Product(p: V3Product, items: V3InventoryItem[], fetchedAt: Date): ProductInput {
  const own = items.filter((i) => i.productId === p._id);
  const ids = [...new Set([...(p.variantsInfo?.variants ?? []).map((v) => v._id), ...own.map((i) => i.variantId)])];
  const info = new Map((p.variantsInfo?.variants ?? []).map((v) => [v._id, v]));
  const variants: VariantInput[] = ids.map((id) => {
    const stock = own.filter((i) => i.variantId === id && i.trackQuantity === true && quantity(i.quantity) !== null);
    // One inventory item per variant and location: its quantity is the stock at that location.
    const levels: LocationLevel[] = stock.flatMap((i) => (i.locationId ? [{ locationId: i.locationId, locationName: null, available: i.quantity as number }] : []));
    return {
      externalId: id as ExternalVariantId,
      sku: info.get(id)?.sku?.slice(0, 255) || null,
      title: null,
      price: money(info.get(id)?.price?.actualPrice?.amount),
      inventoryQuantity: stock.length > 0 ? stock.reduce((sum, i) => sum + (i.quantity as number), 0) : null,
      ...(levels.length > 0 ? { locationLevels: levels } : {}),
    };
  });
  return withTracking(
    {
      externalId: p._id as ExternalProductId,
      title: title(p),
      url: safeUrl(typeof p.url === 'string' ? p.url : p.url?.url),
      imageUrl: safeUrl(p.media?.main?.url ?? p.media?.main?.image),
      price: money(p.actualPriceRange?.minValue?.amount),
    },
    variants,
    fetchedAt,
  );
}
