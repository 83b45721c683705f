// Reading products from the Admin GraphQL API: the resumable full-catalog walk and the single
// product behind an inventory item. Page sizes keep each query well under the 1,000-point cap.
import { z } from 'zod';
import type { CatalogPage } from '../connector.ts';
import type { GraphqlCall } from './api-client.ts';
import type { LocationLevel, ProductInput } from '../../src/model/catalog.ts';
import { toProductInput, type ShopifyProduct } from './normalise-catalog.ts';

export const PRODUCTS_PER_PAGE = 10;
const VARIANTS_INLINE = 40;
const VARIANTS_PER_PAGE = 100;

const VARIANT_FIELDS = `legacyResourceId title sku price inventoryQuantity updatedAt inventoryItem { tracked updatedAt }`;

const PRODUCT_FIELDS = `
  legacyResourceId title handle onlineStoreUrl updatedAt
  featuredMedia { preview { image { url } } }
  variants(first: ${VARIANTS_INLINE}) { pageInfo { hasNextPage endCursor } nodes { ${VARIANT_FIELDS} } }`;

export const CATALOG_PAGE_QUERY = `query StoreflowCatalogPage($first: Int!, $after: String) {
  products(first: $first, after: $after, sortKey: ID) {
    pageInfo { hasNextPage endCursor }
    nodes { ${PRODUCT_FIELDS} }
  }
}`;

export const MORE_VARIANTS_QUERY = `query StoreflowMoreVariants($id: ID!, $after: String) {
  product(id: $id) {
    variants(first: ${VARIANTS_PER_PAGE}, after: $after) { pageInfo { hasNextPage endCursor } nodes { ${VARIANT_FIELDS} } }
  }
}`;

/** Locations read per inventory item: Shopify plans below Plus allow fewer than this. */
const LEVELS_PER_ITEM = 10;

/**
 * Items per call: a product costs about as much as on a catalog page, and each item's stock per
 * location adds 2 + LEVELS_PER_ITEM × 2 points; eight stay under the 1,000-point cap.
 */
export const INVENTORY_ITEMS_PER_CALL = 8;

/**
 * Products read back by inventory item (inventory_levels/update) or by their own gid (a product
 * webhook naming variants we never read). An inventory item brings its stock per location.
 */
export const INVENTORY_ITEMS_QUERY = `query StoreflowInventoryItems($ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on InventoryItem {
      id
      inventoryLevels(first: ${LEVELS_PER_ITEM}) { nodes { location { id name } quantities(names: ["available"]) { name quantity } } }
      variant { legacyResourceId product { ${PRODUCT_FIELDS} } }
    }
    ... on Product { id ${PRODUCT_FIELDS} }
  }
}`;

const PageInfo = z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullish() });
const VariantNode = z.object({
  legacyResourceId: z.string(),
  title: z.string().nullish(),
  sku: z.string().nullish(),
  price: z.coerce.number().nullish(),
  inventoryQuantity: z.number().int().nullish(),
  updatedAt: z.string().nullish(),
  inventoryItem: z.object({ tracked: z.boolean(), updatedAt: z.string().nullish() }).nullish(),
});
const Variants = z.object({ pageInfo: PageInfo, nodes: z.array(VariantNode) });
const ProductNode = z.object({
  legacyResourceId: z.string(),
  title: z.string(),
  handle: z.string().nullish(),
  onlineStoreUrl: z.string().nullish(),
  updatedAt: z.string().nullish(),
  featuredMedia: z.object({ preview: z.object({ image: z.object({ url: z.string() }).nullish() }).nullish() }).nullish(),
  variants: Variants,
});
type ProductNode = z.infer<typeof ProductNode>;

const LevelNode = z.object({
  location: z.object({ id: z.string(), name: z.string().nullish() }),
  quantities: z.array(z.object({ name: z.string(), quantity: z.number().int() })),
});

const CatalogPageData = z.object({ products: z.object({ pageInfo: PageInfo, nodes: z.array(ProductNode) }) });
const MoreVariantsData = z.object({ product: z.object({ variants: Variants }).nullable() });
// nodes() answers null for an id it does not know, and {} for one of another type.
const InventoryItemsData = z.object({
  nodes: z.array(
    z.union([
      ProductNode,
      z.object({
        id: z.string().optional(),
        inventoryLevels: z.object({ nodes: z.array(LevelNode) }).nullish(),
        variant: z.object({ legacyResourceId: z.string().optional(), product: ProductNode.nullable() }).nullish(),
      }),
    ]).nullable(),
  ),
});

/** A location's legacy id ("24826418" of gid://shopify/Location/24826418), as webhooks name it. */
export const locationIdOf = (gid: string): string => gid.slice(gid.lastIndexOf('/') + 1).split('?')[0]!;

/**
 * Levels as read, dated when read: a report Shopify made before the read (a late retry) must not
 * overwrite what the read found, and one made after it must.
 */
function levelsOf(nodes: Array<z.infer<typeof LevelNode>>, readAt: Date): LocationLevel[] {
  return nodes.map((n) => ({
    at: readAt,
    locationId: locationIdOf(n.location.id),
    locationName: n.location.name ?? null,
    available: n.quantities.find((q) => q.name === 'available')?.quantity ?? null,
  }));
}

async function allVariants(call: GraphqlCall, node: ProductNode): Promise<z.infer<typeof VariantNode>[]> {
  const variants = [...node.variants.nodes];
  let page = node.variants.pageInfo;
  while (page.hasNextPage && page.endCursor) {
    const data = MoreVariantsData.parse(
      await call(MORE_VARIANTS_QUERY, { id: `gid://shopify/Product/${node.legacyResourceId}`, after: page.endCursor }),
    );
    if (!data.product) break;
    variants.push(...data.product.variants.nodes);
    page = data.product.variants.pageInfo;
  }
  return variants;
}

/**
 * The platform's own time of what was read: the latest updatedAt of the product, its variants
 * and their inventory items. Webhooks are ordered by Shopify's updated_at, so read-backs are
 * ordered by Shopify's clock too, never by when we happened to fetch (a slow read-back of an
 * older state must not overwrite a newer webhook). The fetch time stands in only when Shopify
 * gave no time at all.
 */
function sourceTime(node: ProductNode, variants: z.infer<typeof VariantNode>[], fetchedAt: Date): Date {
  const times = [node.updatedAt, ...variants.flatMap((v) => [v.updatedAt, v.inventoryItem?.updatedAt])]
    .map((t) => (t ? Date.parse(t) : NaN))
    .filter((t) => Number.isFinite(t));
  return times.length ? new Date(Math.max(...times)) : fetchedAt;
}

/** A product as read from the Admin API: its tracking is each inventory item's own. */
async function toProduct(call: GraphqlCall, node: ProductNode, fetchedAt: Date): Promise<ShopifyProduct> {
  const variants = await allVariants(call, node);
  return {
    id: node.legacyResourceId,
    title: node.title,
    handle: node.handle ?? null,
    url: node.onlineStoreUrl ?? null,
    imageUrl: node.featuredMedia?.preview?.image?.url ?? null,
    updatedAt: sourceTime(node, variants, fetchedAt),
    variants: variants.map((v) => ({
      id: v.legacyResourceId,
      title: v.title ?? null,
      sku: v.sku ?? null,
      price: v.price ?? null,
      tracked: v.inventoryItem ? v.inventoryItem.tracked : undefined,
      trackedIsAuthoritative: Boolean(v.inventoryItem),
      quantity: v.inventoryQuantity ?? null,
    })),
  };
}

/** Walks the catalog from `cursor`; each page carries the cursor to resume after it. */
export async function* catalogPages(call: GraphqlCall, shopDomain: string, cursor: string | null): AsyncGenerator<CatalogPage> {
  let after = cursor;
  for (;;) {
    const data = CatalogPageData.parse(await call(CATALOG_PAGE_QUERY, { first: PRODUCTS_PER_PAGE, after }));
    const fetchedAt = new Date();
    const products = [];
    for (const node of data.products.nodes) products.push(toProductInput(await toProduct(call, node, fetchedAt), shopDomain));
    const { hasNextPage, endCursor } = data.products.pageInfo;
    const next = hasNextPage && endCursor ? endCursor : null;
    yield { products, cursor: next };
    if (!next) return;
    after = next;
  }
}

/**
 * The products behind several inventory items (or product gids) in one call (at most
 * INVENTORY_ITEMS_PER_CALL), in the order asked; null where the item is gone or has no product.
 */
export async function productsByInventoryItems(call: GraphqlCall, shopDomain: string, gids: string[]): Promise<Array<ProductInput | null>> {
  const data = InventoryItemsData.parse(await call(INVENTORY_ITEMS_QUERY, { ids: gids }));
  if (data.nodes.length !== gids.length) throw new Error(`Shopify answered ${data.nodes.length} nodes for ${gids.length} inventory items`);
  const fetchedAt = new Date();
  const out: Array<ProductInput | null> = [];
  for (const n of data.nodes) {
    const node = n && 'legacyResourceId' in n ? n : n?.variant?.product;
    const product = node ? toProductInput(await toProduct(call, node, fetchedAt), shopDomain) : null;
    const item = n && !('legacyResourceId' in n) ? n : undefined;
    const variantId = item?.variant?.legacyResourceId;
    if (product && variantId && item?.inventoryLevels) {
      // The item's own variant carries its stock per location: ingest leaves out locations the merchant does not count.
      const levels = levelsOf(item.inventoryLevels.nodes, fetchedAt);
      // Fewer levels than asked for is all of them: later reports for this item can be summed
      // with the stored levels instead of reading the product back again.
      const stock = item.id ? { stockItemId: locationIdOf(item.id), levelsComplete: levels.length < LEVELS_PER_ITEM } : {};
      product.variants = product.variants.map((v) => (v.externalId === variantId ? { ...v, locationLevels: levels, ...stock } : v));
    }
    out.push(product);
  }
  return out;
}
