// Catalog pages: products with variants and stock, search and paging, and an item's history.
import type { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../../runtime.ts';
import { ProductId } from '../../model/ids.ts';
import { ProblemError } from '../problem.ts';
import { parseQuery } from '../parse-batch.ts';
import { browseCatalog, productHistory } from '../../merchant/catalog-browse.ts';
import { render } from './views.ts';
import { formatWhen } from '../../merchant/store-locale.ts';
import type { MerchantLocals } from './page-locals.ts';

const CatalogQuery = z.object({ q: z.string().max(200).default(''), page: z.coerce.number().int().min(1).max(100_000).default(1) });

export function appCatalogPages(r: Router, ctx: AppContext): void {
  r.get('/catalog', async (req, res) => {
    const { store } = res.locals as MerchantLocals;
    const q = parseQuery(CatalogQuery, req.query);
    const result = await browseCatalog(ctx.db.pool, store, { text: q.q, page: q.page });
    await render(res, 'app/catalog', { title: 'Catalog', nav: 'catalog', q: q.q, ...result, prev: result.page > 1 ? result.page - 1 : null, next: result.page < result.pages ? result.page + 1 : null });
  });

  r.get('/catalog/:id', async (req, res) => {
    const { store, locale } = res.locals as MerchantLocals;
    const id = ProductId.safeParse(req.params.id);
    const found = id.success ? await productHistory(ctx.db.pool, store, id.data) : undefined;
    if (!found) throw new ProblemError(404, 'No such product in your catalog.');
    const { product, observations } = found;
    const variantTitle = new Map(product.variants.map((v) => [v.id, v.title ?? v.externalId]));
    // One line per level: the product total, and each variant that has a history.
    const keys = [...new Set(observations.map((o) => (o.level === 'product' ? 'product' : o.variantId!)))];
    const labels = observations.map((o) => formatWhen(o.observedAt, locale));
    const last = new Map<string, number | null>();
    const series = keys.map((k) => ({ label: k === 'product' ? 'Product total' : `Variant ${variantTitle.get(k as never) ?? k}`, data: [] as Array<number | null> }));
    for (const o of observations) {
      last.set(o.level === 'product' ? 'product' : o.variantId!, o.newQuantity);
      keys.forEach((k, i) => series[i]!.data.push(last.get(k) ?? null));
    }
    await render(res, 'app/product', {
      title: product.title,
      nav: 'catalog',
      product,
      observations: observations.slice(-50).reverse(),
      chart: { type: 'line', labels, series, stepped: true },
    });
  });
}
