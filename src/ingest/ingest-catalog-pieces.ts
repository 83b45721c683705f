// Catalog writes one item or one variant at a time (Klaviyo's catalog API), onto the common
// model's whole products: the stored product is read, the piece applied, and the product written
// back through the one catalog write path, so a variant's new stock is an inventory change like
// any other. All pieces of a call are written together or not at all.
import type pg from 'pg';
import type { ProductInput, VariantInput } from '../model/catalog.ts';
import type { Product } from '../model/catalog.ts';
import type { ExternalProductId, ExternalVariantId, StoreId } from '../model/ids.ts';
import { liveProductsByExternalIds, locateVariants, lockPartialCatalogWrites } from '../db/repositories/catalog-lookups.ts';
import { ingestCatalogBuilt } from './ingest-catalog.ts';

type Fields<T> = { [K in keyof T]?: T[K] | undefined };

export type ItemPiece = {
  kind: 'item';
  create: boolean;
  externalId: string;
} & Fields<{ title: string; url: string | null; imageUrl: string | null; price: number | null }>;

export type VariantPiece = {
  kind: 'variant';
  create: boolean;
  externalId: string;
  /** The item a new variant belongs to; an update finds it from the stored variant. */
  itemExternalId?: string | undefined;
} & Fields<{ sku: string | null; title: string | null; price: number | null; inventoryQuantity: number | null }>;

export type CatalogPiece = ItemPiece | VariantPiece;

/** Why a call was refused, naming the piece by its position in the call. */
export type PieceRefusal = { index: number; id: string; reason: 'exists' | 'missing' | 'item-missing' | 'ambiguous' };

export type PiecesResult = { ok: true; products: ProductInput[] } | { ok: false; refusal: PieceRefusal };

function asInput(p: Product): ProductInput {
  return {
    externalId: p.externalId,
    title: p.title,
    url: p.url,
    imageUrl: p.imageUrl,
    price: p.price,
    inventoryTracking: p.inventoryTracking,
    inventoryQuantity: p.inventoryQuantity,
    variants: p.variants.map((v) => ({ externalId: v.externalId, sku: v.sku, title: v.title, price: v.price, inventoryQuantity: v.inventoryQuantity })),
  };
}

const given = <T extends object>(fields: T): Partial<T> => Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<T>;

export async function writeCatalogPieces(pool: pg.Pool, storeId: StoreId, pieces: CatalogPiece[]): Promise<PiecesResult> {
  let touched: ProductInput[] = [];
  const outcome = await ingestCatalogBuilt<PieceRefusal>(pool, storeId, async (tx) => {
    await lockPartialCatalogWrites(tx, storeId);
    const variantIds = pieces.flatMap((p) => (p.kind === 'variant' ? [p.externalId] : []));
    const located = await locateVariants(tx, storeId, variantIds);
    const ownerOf = new Map<string, string[]>();
    for (const l of located) ownerOf.set(l.variantExternalId, [...(ownerOf.get(l.variantExternalId) ?? []), l.productExternalId]);
    const wanted = pieces.flatMap((p) => (p.kind === 'item' ? [p.externalId] : p.itemExternalId ? [p.itemExternalId] : (ownerOf.get(p.externalId) ?? [])));
    const stored = await liveProductsByExternalIds(tx, storeId, wanted);
    const state = new Map<string, ProductInput>([...stored].map(([k, p]) => [k, asInput(p)]));
    const changed = new Set<string>();

    for (const [index, piece] of pieces.entries()) {
      if (piece.kind === 'item') {
        const current = state.get(piece.externalId);
        if (piece.create === Boolean(current)) return { refused: { index, id: piece.externalId, reason: piece.create ? 'exists' : 'missing' } };
        const { kind: _k, create: _c, externalId, ...fields } = piece;
        state.set(externalId, {
          ...(current ?? { externalId: externalId as ExternalProductId, title: '', inventoryTracking: 'variant', inventoryQuantity: null, variants: [] }),
          ...given(fields),
        } as ProductInput);
        changed.add(externalId);
        continue;
      }
      const owners = piece.create ? [] : [...new Set(ownerOf.get(piece.externalId) ?? [])];
      if (!piece.create && owners.length > 1) return { refused: { index, id: piece.externalId, reason: 'ambiguous' } };
      const itemId = piece.itemExternalId ?? owners[0];
      const product = itemId === undefined ? undefined : state.get(itemId);
      if (!product) return { refused: { index, id: itemId ?? piece.externalId, reason: piece.create ? 'item-missing' : 'missing' } };
      const at = product.variants.findIndex((v) => v.externalId === piece.externalId);
      if (piece.create && (at >= 0 || (ownerOf.get(piece.externalId)?.length ?? 0) > 0)) return { refused: { index, id: piece.externalId, reason: 'exists' } };
      if (!piece.create && at < 0) return { refused: { index, id: piece.externalId, reason: 'missing' } };
      const { kind: _k, create: _c, externalId, itemExternalId: _i, ...fields } = piece;
      const variant: VariantInput = { ...(at >= 0 ? product.variants[at]! : { externalId: externalId as ExternalVariantId }), ...given(fields) };
      const variants = at >= 0 ? product.variants.map((v, i) => (i === at ? variant : v)) : [...product.variants, variant];
      state.set(itemId!, { ...product, variants });
      if (piece.create) ownerOf.set(externalId, [itemId!]);
      changed.add(itemId!);
    }
    touched = [...changed].map((id) => state.get(id)!);
    return { products: touched };
  });
  return outcome.ok ? { ok: true, products: touched } : { ok: false, refusal: outcome.refused };
}
