// Reads products from the Wix Stores APIs of whichever catalog the site runs. Webhooks name a
// product; we read its current state rather than trusting the event's partial fields, so late
// or reordered deliveries still leave the newest state stored.
import { z } from 'zod';
import type { CatalogPage } from '../connector.ts';
import type { ProductInput } from '../../src/model/catalog.ts';
import { mapV1Product, mapV3Product, V1Product, V3InventoryItem, V3Product } from './normalise-catalog.ts';
import { wixStatus, type InstanceClient, type WixApi } from './api-client.ts';

const PAGE_SIZE = 100;

const QueryPage = z.object({ items: z.array(z.unknown()) });

/** Every inventory item of these products, following the query's cursor to the end. */
async function inventoryOf(client: InstanceClient, productIds: string[]): Promise<z.infer<typeof V3InventoryItem>[]> {
  if (productIds.length === 0) return [];
  const items: z.infer<typeof V3InventoryItem>[] = [];
  let page = await client.inventoryItemsV3.queryInventoryItems().in('productId', productIds).limit(PAGE_SIZE).find();
  for (;;) {
    for (const raw of QueryPage.parse(page).items) {
      const parsed = V3InventoryItem.safeParse(raw);
      if (parsed.success) items.push(parsed.data);
    }
    if (!page.hasNext()) return items;
    page = await page.next();
  }
}

/**
 * The product as it stands now, or null when Wix no longer has it. A webhook names its catalog
 * (V1 and V3 events differ), which beats the version remembered for the client: a site that
 * moved to V3 since sends V3 events whose ids the V1 API does not know.
 */
export async function fetchProduct(api: WixApi, instanceId: string, productId: string, catalog?: 'V1' | 'V3'): Promise<ProductInput | null> {
  const client = api.client(instanceId);
  const version = catalog ?? (await api.catalogVersion(instanceId));
  const fetchedAt = new Date();
  try {
    if (version === 'V1') {
      const res = await client.products.getProduct(productId);
      return res.product ? mapV1Product(V1Product.parse(res.product), fetchedAt) : null;
    }
    if (version === 'V3') {
      const product = V3Product.parse(await client.productsV3.getProduct(productId, { fields: ['URL'] }));
      return mapV3Product(product, await inventoryOf(client, [product._id]), fetchedAt);
    }
    return null;
  } catch (err) {
    if (wixStatus(err) === 404) return null;
    throw err;
  }
}

/**
 * The whole catalog a page at a time. The cursor names the catalog version, so a site that
 * moved from V1 to V3 between a crash and the resume starts over rather than misreading it.
 */
export async function* fetchCatalogPages(api: WixApi, instanceId: string, cursor: string | null): AsyncGenerator<CatalogPage> {
  const version = await api.catalogVersion(instanceId);
  const client = api.client(instanceId);
  if (version === 'V1') {
    let after = cursor?.startsWith('v1:') ? cursor.slice(3) : null;
    for (;;) {
      const fetchedAt = new Date();
      let query = client.products.queryProducts().ascending('_id').limit(PAGE_SIZE);
      if (after) query = query.gt('_id', after);
      const page = QueryPage.parse(await query.find());
      const products = page.items.map((raw) => mapV1Product(V1Product.parse(raw), fetchedAt));
      const last = products.at(-1)?.externalId ?? null;
      const more = products.length === PAGE_SIZE && last !== null;
      yield { products, cursor: more ? `v1:${last}` : null };
      if (!more) return;
      after = last;
    }
  }
  if (version === 'V3') {
    let next = cursor?.startsWith('v3:') ? cursor.slice(3) : null;
    for (;;) {
      const fetchedAt = new Date();
      let query = client.productsV3.queryProducts({ fields: ['URL'] }).limit(PAGE_SIZE);
      if (next) query = query.skipTo(next);
      const result = await query.find();
      const listed = QueryPage.parse(result).items.map((raw) => V3Product.parse(raw));
      const stock = await inventoryOf(client, listed.map((p) => p._id));
      const products = listed.map((p) => mapV3Product(p, stock, fetchedAt));
      next = result.hasNext() ? (result.cursors.next ?? null) : null;
      yield { products, cursor: next ? `v3:${next}` : null };
      if (!next) return;
    }
  }
  // 'none': Wix Stores is not installed on the site, so there is no catalog to pull.
}
