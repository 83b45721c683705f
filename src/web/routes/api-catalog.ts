import { Router } from 'express';
import { z } from 'zod';
import { Batches } from '../../../connectors/custom/payload-schemas.ts';
import { ingestCatalog } from '../../ingest/ingest-catalog.ts';
import { productsPage } from '../../merchant/store-data-pages.ts';
import type { ProductId } from '../../model/ids.ts';
import type { Product } from '../../model/catalog.ts';
import type { AppContext } from '../../runtime.ts';
import type { AuthedLocals } from '../auth-private-key.ts';
import { parseBatch, parseQuery } from '../parse-batch.ts';
import { decodeCursor, page, UUID_CURSOR } from '../cursor.ts';

const ListQuery = z.object({ limit: z.coerce.number().int().min(1).max(250).default(100) });

export function productJson(p: Product) {
  return {
    id: p.id,
    externalId: p.externalId,
    title: p.title,
    url: p.url,
    imageUrl: p.imageUrl,
    price: p.price,
    inventoryTracking: p.inventoryTracking,
    inventoryQuantity: p.inventoryQuantity,
    variants: p.variants.map((v) => ({
      id: v.id,
      externalId: v.externalId,
      sku: v.sku,
      title: v.title,
      price: v.price,
      inventoryQuantity: v.inventoryQuantity,
    })),
  };
}

export function catalogRoutes(ctx: AppContext): Router {
  const r = Router();
  r.put('/catalog/items', async (req, res) => {
    const { store } = res.locals as AuthedLocals;
    const items = parseBatch(req.body, Batches.catalog.key, Batches.catalog.item);
    const result = await ingestCatalog(ctx.db.pool, store.id, items);
    res.json({ upserted: result.upserted, stale: result.stale });
  });
  r.get('/catalog/products', async (req, res) => {
    const { store } = res.locals as AuthedLocals;
    const { limit } = parseQuery(ListQuery, req.query);
    const after = decodeCursor(req.query.cursor, UUID_CURSOR) as ProductId | undefined;
    const rows = await productsPage(ctx.db, store.id, after, limit + 1);
    const p = page(rows, limit, (x) => x.id);
    res.json({ data: p.data.map(productJson), nextCursor: p.nextCursor });
  });
  return r;
}
