// Klaviyo's catalog endpoints for a custom catalog: items and variants one at a time or as bulk
// jobs, all through writeCatalogPieces, so a variant's inventory_quantity is an inventory change
// like any other. Bulk jobs run inside the call and answer as complete.
import { Router, type Response } from 'express';
import { Catalog, type ItemCreate, type ItemUpdate, type VariantCreate, type VariantUpdate } from '../../../connectors/klaviyo-format/schemas.ts';
import { externalIdOf } from '../../../connectors/klaviyo-format/ids.ts';
import { completedJob, itemResource, variantResource, type VariantView } from '../../../connectors/klaviyo-format/resources.ts';
import { writeCatalogPieces, type CatalogPiece, type PieceRefusal } from '../../ingest/ingest-catalog-pieces.ts';
import { productsByExternalIds, productsPage, variantsByExternalIds } from '../../merchant/store-data-pages.ts';
import type { Product, ProductInput } from '../../model/catalog.ts';
import type { ProductId, StoreId } from '../../model/ids.ts';
import type { AppContext } from '../../runtime.ts';
import type { AuthedLocals } from '../auth-private-key.ts';
import { decodeCursor, encodeCursor, UUID_CURSOR } from '../cursor.ts';
import { KlaviyoError, notFound, parseDocument } from '../klaviyo/errors.ts';

const itemPiece = (d: ItemCreate | ItemUpdate): CatalogPiece => ({
  kind: 'item',
  create: d.type === 'catalog-item' && !('id' in d),
  externalId: 'id' in d ? d.id : d.attributes.external_id,
  title: d.attributes.title,
  url: d.attributes.url,
  imageUrl: d.attributes.image_full_url,
  price: d.attributes.price,
});

const variantPiece = (d: VariantCreate | VariantUpdate): CatalogPiece => ({
  kind: 'variant',
  create: !('id' in d),
  externalId: 'id' in d ? d.id : d.attributes.external_id,
  itemExternalId: 'relationships' in d ? d.relationships.item.data.id : undefined,
  sku: d.attributes.sku,
  title: d.attributes.title,
  price: d.attributes.price,
  inventoryQuantity: d.attributes.inventory_quantity,
});

function refusal(r: PieceRefusal, pointer: string): KlaviyoError {
  switch (r.reason) {
    case 'exists':
      return new KlaviyoError(409, 'conflict', 'Conflict.', `"${r.id}" already exists in the custom catalog.`, { source: { pointer } });
    case 'item-missing':
      return new KlaviyoError(400, 'invalid', 'Invalid input.', `No catalog item "${r.id}" to add the variant to; create the item first.`, { source: { pointer: `${pointer}/relationships/item/data/id` } });
    case 'ambiguous':
      return new KlaviyoError(409, 'conflict', 'Conflict.', `Several items list a variant "${r.id}"; update it through /api/v1/catalog/items.`, { source: { pointer } });
    default:
      return new KlaviyoError(404, 'not_found', 'Not found.', `No "${r.id}" in the custom catalog.`, { source: { pointer } });
  }
}

const variantsOf = (p: { externalId: string; variants: ProductInput['variants'] | Product['variants'] }): VariantView[] =>
  p.variants.map((v) => ({ externalId: v.externalId, itemExternalId: p.externalId, sku: v.sku ?? null, title: v.title ?? null, price: v.price ?? null, inventoryQuantity: v.inventoryQuantity ?? null }));

const view = (p: ProductInput | Product) => ({ externalId: p.externalId, title: p.title, url: p.url ?? null, imageUrl: p.imageUrl ?? null, price: p.price ?? null });

const json = (res: Response, status: number, body: unknown) => res.status(status).type('application/vnd.api+json').send(JSON.stringify(body));

export function klaviyoCatalogRoutes(ctx: AppContext): Router {
  const r = Router();
  const base = ctx.config.appUrl;
  const write = async (storeId: StoreId, pieces: CatalogPiece[], pointerOf: (i: number) => string) => {
    const outcome = await writeCatalogPieces(ctx.db.pool, storeId, pieces);
    if (!outcome.ok) throw refusal(outcome.refusal, pointerOf(outcome.refusal.index));
    return outcome.products;
  };
  const idParam = (raw: string, what: string) => {
    const id = externalIdOf(raw);
    if (id === null) throw notFound(`No ${what} "${raw.slice(0, 100)}"; custom catalog ids look like "$custom:::$default:::<id>".`);
    return id;
  };

  r.post('/catalog-items', async (req, res) => {
    const { store } = res.locals as AuthedLocals;
    const { data } = parseDocument(Catalog.itemCreate, req.body);
    const [product] = await write(store.id, [itemPiece(data)], () => '/data');
    json(res, 201, { data: itemResource(view(product!), base) });
  });
  r.patch('/catalog-items/:id', async (req, res) => {
    const { store } = res.locals as AuthedLocals;
    const { data } = parseDocument(Catalog.itemUpdate, req.body);
    if (data.id !== idParam(req.params.id, 'catalog item')) throw new KlaviyoError(400, 'invalid', 'Invalid input.', 'The id in the body must match the id in the path.', { source: { pointer: '/data/id' } });
    const [product] = await write(store.id, [itemPiece(data)], () => '/data');
    json(res, 200, { data: itemResource(view(product!), base) });
  });
  r.get('/catalog-items/:id', async (req, res) => {
    const { store } = res.locals as AuthedLocals;
    const id = idParam(req.params.id, 'catalog item');
    const product = (await productsByExternalIds(ctx.db, store.id, [id])).get(id);
    if (!product) throw notFound(`No catalog item "${req.params.id.slice(0, 100)}".`);
    json(res, 200, { data: itemResource(view(product), base) });
  });

  /** A page of products, as Klaviyo pages: `page[cursor]` in, `links.next` out. */
  const productPage = async (storeId: StoreId, query: Record<string, unknown>, path: string) => {
    const cursor = (query.page as Record<string, unknown> | undefined)?.cursor ?? query['page[cursor]'];
    const after = decodeCursor(cursor, UUID_CURSOR) as ProductId | undefined;
    const rows = await productsPage(ctx.db, storeId, after, 101);
    const data = rows.slice(0, 100);
    const next = rows.length > 100 ? `${base}${path}?page%5Bcursor%5D=${encodeCursor(data[data.length - 1]!.id)}` : null;
    return { data, links: { self: `${base}${path}`, next, prev: null } };
  };
  r.get('/catalog-items', async (req, res) => {
    const { store } = res.locals as AuthedLocals;
    const page = await productPage(store.id, req.query, '/api/catalog-items/');
    json(res, 200, { data: page.data.map((p) => itemResource(view(p), base)), links: page.links });
  });
  r.get('/catalog-variants', async (req, res) => {
    const { store } = res.locals as AuthedLocals;
    const page = await productPage(store.id, req.query, '/api/catalog-variants/');
    json(res, 200, { data: page.data.flatMap((p) => variantsOf(p).map((v) => variantResource(v, base))), links: page.links });
  });

  r.post('/catalog-variants', async (req, res) => {
    const { store } = res.locals as AuthedLocals;
    const { data } = parseDocument(Catalog.variantCreate, req.body);
    const [product] = await write(store.id, [variantPiece(data)], () => '/data');
    const v = variantsOf(product!).find((x) => x.externalId === data.attributes.external_id)!;
    json(res, 201, { data: variantResource(v, base) });
  });
  r.patch('/catalog-variants/:id', async (req, res) => {
    const { store } = res.locals as AuthedLocals;
    const { data } = parseDocument(Catalog.variantUpdate, req.body);
    if (data.id !== idParam(req.params.id, 'catalog variant')) throw new KlaviyoError(400, 'invalid', 'Invalid input.', 'The id in the body must match the id in the path.', { source: { pointer: '/data/id' } });
    const [product] = await write(store.id, [variantPiece(data)], () => '/data');
    json(res, 200, { data: variantResource(variantsOf(product!).find((x) => x.externalId === data.id)!, base) });
  });
  r.get('/catalog-variants/:id', async (req, res) => {
    const { store } = res.locals as AuthedLocals;
    const id = idParam(req.params.id, 'catalog variant');
    const [where, ...more] = await variantsByExternalIds(ctx.db, store.id, [id]);
    if (!where) throw notFound(`No catalog variant "${req.params.id.slice(0, 100)}".`);
    if (more.length > 0) throw new KlaviyoError(409, 'conflict', 'Conflict.', `Several items list a variant "${id}".`);
    const product = (await productsByExternalIds(ctx.db, store.id, [where.productExternalId])).get(where.productExternalId)!;
    json(res, 200, { data: variantResource(variantsOf(product).find((v) => v.externalId === id)!, base) });
  });

  const bulk = (path: string, type: string, key: 'items' | 'variants', parse: (body: unknown) => CatalogPiece[]) =>
    r.post(path, async (req, res) => {
      const { store } = res.locals as AuthedLocals;
      const pieces = parse(req.body);
      await write(store.id, pieces, (i) => `/data/attributes/${key}/data/${i}`);
      json(res, 202, completedJob(type, pieces.length, new Date()));
    });
  bulk('/catalog-item-bulk-create-jobs', 'catalog-item-bulk-create-job', 'items', (b) => parseDocument(Catalog.itemBulkCreate, b).data.attributes.items.data.map(itemPiece));
  bulk('/catalog-item-bulk-update-jobs', 'catalog-item-bulk-update-job', 'items', (b) => parseDocument(Catalog.itemBulkUpdate, b).data.attributes.items.data.map(itemPiece));
  bulk('/catalog-variant-bulk-create-jobs', 'catalog-variant-bulk-create-job', 'variants', (b) => parseDocument(Catalog.variantBulkCreate, b).data.attributes.variants.data.map(variantPiece));
  bulk('/catalog-variant-bulk-update-jobs', 'catalog-variant-bulk-update-job', 'variants', (b) => parseDocument(Catalog.variantBulkUpdate, b).data.attributes.variants.data.map(variantPiece));
  return r;
}
