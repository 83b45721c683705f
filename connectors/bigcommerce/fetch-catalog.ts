// The full catalog through Catalog v3, in id order. Paging by "id greater than the last one
// stored" rather than by page number keeps a resumed sync exact when products are added or
// deleted meanwhile: the cursor is the last product id of the last page ingested.
import type { CatalogPage } from '../connector.ts';
import type { StoreApi } from './api-client.ts';
import { toProductInput } from './normalise-catalog.ts';
import { productsWithLevels } from './inventory-levels.ts';
import { ProductsPage } from './payload-schemas.ts';

export async function* fetchBigCommerceCatalog(api: StoreApi, domain: string, cursor: string | null, pageSize: number): AsyncGenerator<CatalogPage> {
  let after = cursor && /^\d+$/.test(cursor) ? Number(cursor) : 0;
  for (;;) {
    const body = ProductsPage.parse(
      await api.call({
        method: 'GET',
        path: '/v3/catalog/products',
        params: { include: 'variants,images', limit: pageSize, sort: 'id', direction: 'asc', 'id:greater_than': after },
      }),
    );
    const observedAt = new Date();
    const last = body.data.at(-1);
    const done = body.data.length < pageSize || (body.meta.pagination?.total_pages ?? 2) <= 1;
    if (last) after = last.id;
    const products = await productsWithLevels(api, body.data.map((p) => toProductInput(p, domain, observedAt)));
    yield { products, cursor: done ? null : String(after) };
    if (done) return;
  }
}
