// "How many shoppers would hear about this item now?" for the merchant's setup screen.
import type pg from 'pg';
import type { FlowId } from '../model/ids.ts';
import type { Store } from '../model/store.ts';
import { findProductByExternalId } from '../db/repositories/catalog.ts';
import { lowInventoryAudienceSize } from '../db/repositories/flow-triggers.ts';
import { getFlow } from './flow-service.ts';
import { audienceQuery } from './item-audience.ts';

export type AudiencePreview =
  | { ok: true; audience: number; level: 'product' | 'variant'; productId: string; variantId: string | null; product: { title: string; inventoryQuantity: number | null } }
  | { ok: false; status: 404 | 422; detail: string };

export async function previewAudience(pool: pg.Pool, store: Store, flowId: FlowId, productId: string, variantId: string | null, now = new Date()): Promise<AudiencePreview> {
  const found = await getFlow(pool, store, flowId);
  if (!found) return { ok: false, status: 404, detail: 'No such flow.' };
  const trigger = found.definition.trigger;
  if (trigger.type !== 'low-inventory') return { ok: false, status: 422, detail: 'This flow is not triggered by low inventory.' };
  const product = await findProductByExternalId(pool, store.id, productId);
  if (!product) return { ok: false, status: 404, detail: `No product ${productId} in the catalog.` };
  if (trigger.level === 'variant' && !variantId) return { ok: false, status: 422, detail: 'A variant-level flow needs variantId.' };
  if (variantId && !product.variants.some((v) => v.externalId === variantId)) return { ok: false, status: 404, detail: `No variant ${variantId} on product ${productId}.` };
  const audience = await lowInventoryAudienceSize(pool, audienceQuery(store.id, trigger, found.definition, { productExternalId: productId, variantExternalId: trigger.level === 'variant' ? variantId : null }, now));
  return {
    ok: true,
    audience,
    level: trigger.level,
    productId,
    variantId: trigger.level === 'variant' ? variantId : null,
    product: { title: product.title, inventoryQuantity: product.inventoryQuantity },
  };
}
