// What the Shopify webhook benchmark checks once the route has drained: every delivery processed
// without error, every product and variant there, and each variant holding the stock the last
// delivery for it said (for inventory_levels/update: the last read-back answer). A route that
// acknowledged and stored nothing fails here rather than reporting a rate.
import pg from 'pg';
import { withClient } from './database.ts';
import { PRODUCTS, VARIANTS, isInventory, levelAvailable, productOf, sentQuantity, variantId } from './shopify-deliveries.ts';

export type StoredCounts = Record<'inbox' | 'processed' | 'failed' | 'products' | 'variants' | 'observations' | 'triggers' | 'levels', number>;

export async function storedCounts(url: string): Promise<StoredCounts> {
  return withClient(url, async (c: pg.Client) => {
    const { rows } = await c.query<StoredCounts>(
      `SELECT (SELECT count(*) FROM webhook_inbox)::int AS inbox,
              (SELECT count(*) FROM webhook_inbox WHERE processed_at IS NOT NULL AND last_error IS NULL)::int AS processed,
              (SELECT count(*) FROM webhook_inbox WHERE last_error IS NOT NULL)::int AS failed,
              (SELECT count(*) FROM products)::int AS products,
              (SELECT count(*) FROM variants)::int AS variants,
              (SELECT count(*) FROM inventory_observations)::int AS observations,
              (SELECT count(*) FROM flow_trigger_queue)::int AS triggers,
              (SELECT count(*) FROM variant_locations)::int AS levels`,
    );
    return rows[0]!;
  });
}

/**
 * Throws unless the stored catalog is what `seqs` (every delivery sent, in order) left behind;
 * `readBack` is the stock the Admin API stand-in last answered for each inventory product;
 * deliveries from `warmup` on came after every item had been read once.
 * Returns how many variant values were compared.
 */
export async function verifyStored(url: string, seqs: number[], readBack: Map<string, number[]>, warmup: number): Promise<number> {
  const counts = await storedCounts(url);
  const problems: string[] = [];
  if (counts.inbox !== seqs.length || counts.processed !== seqs.length) problems.push(`${counts.processed} of ${seqs.length} deliveries processed (${counts.inbox} in the inbox, ${counts.failed} failed)`);
  if (counts.products !== PRODUCTS * 2) problems.push(`${counts.products} products stored, ${PRODUCTS * 2} sent`);
  if (counts.variants !== PRODUCTS * 2 * VARIANTS) problems.push(`${counts.variants} variants stored, ${PRODUCTS * 2 * VARIANTS} sent`);
  if (counts.observations === 0) problems.push('no stock change was recorded');
  if (counts.levels !== PRODUCTS) problems.push(`${counts.levels} location levels stored, ${PRODUCTS} inventory items reported`);

  const expected = new Map<string, number>();
  const lastLevel = new Map<string, number>();
  for (const seq of seqs) {
    if (isInventory(seq)) {
      lastLevel.set(productOf(seq), seq);
      continue;
    }
    for (let v = 0; v < VARIANTS; v++) expected.set(variantId(productOf(seq), v), sentQuantity(seq, v));
  }
  for (const [product, quantities] of readBack) quantities.forEach((q, v) => expected.set(variantId(product, v), q));
  // After the warm-up read each item once, every location of it is known and a later report is
  // applied as it came: the item's variant holds the level the last report named.
  for (const [product, seq] of lastLevel) if (seq >= warmup) expected.set(variantId(product, 0), levelAvailable(seq));
  const stored = await withClient(url, (c) =>
    c.query<{ external_id: string; inventory_quantity: number | null }>('SELECT external_id, inventory_quantity FROM variants'),
  );
  let wrong = 0;
  for (const r of stored.rows) {
    const want = expected.get(r.external_id);
    if (want !== undefined && want !== r.inventory_quantity) {
      if (wrong++ < 3) problems.push(`variant ${r.external_id} holds ${r.inventory_quantity}, the last delivery said ${want}`);
    }
  }
  if (wrong > 3) problems.push(`… ${wrong} variants in all hold a stale quantity`);
  if (problems.length) throw new Error(`the route's stored rows do not match what was sent: ${problems.join('; ')}`);
  return expected.size;
}
