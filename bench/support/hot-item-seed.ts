// The store both fan-out benchmarks (low inventory, price drop) run on: `audience` consented
// shoppers who each saw "hot-item" at 25 once, among `events` events in all, the rest about
// other products. Seeded through SQL: the benchmarks are about the fan-out, not about ingesting
// a million events.
import { indexSeededEmails } from './profile-identifiers.ts';
import { withClient } from './database.ts';

export async function seedHotItemAudience(url: string, storeId: string, size: { audience: number; events: number; otherProducts: number }): Promise<void> {
  await withClient(url, async (c) => {
    await c.query(
      `INSERT INTO profiles (store_id, email, email_consent)
       SELECT $1, 'shopper' || g || '@bench.example.com', 'subscribed' FROM generate_series(1, $2) g`,
      [storeId, size.audience],
    );
    await indexSeededEmails(c, storeId);
    // Each shopper's first event views the hot item; the others are about other products.
    await c.query(
      `WITH p AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM profiles WHERE store_id = $1),
       e AS (
         INSERT INTO events (store_id, metric, profile_id, time, properties, unique_id)
         SELECT $1, CASE WHEN g <= $3 OR g % 10 < 6 THEN 'Viewed Product' ELSE 'Added to Cart' END,
           p.id, now() - make_interval(secs => (g % (20 * 86400))), '{}'::jsonb, 'seed-' || g
         FROM generate_series(1, $2) g JOIN p ON p.n = 1 + (g % $3)
         RETURNING id, unique_id
       )
       INSERT INTO event_items (store_id, event_id, position, product_external_id, quantity, price)
       SELECT $1, e.id, 0, CASE WHEN substring(e.unique_id from 6)::int <= $3 THEN 'hot-item' ELSE 'other-' || (substring(e.unique_id from 6)::int % $4) END, 1, 25
       FROM e`,
      [storeId, size.events, size.audience, size.otherProducts],
    );
    await c.query('DELETE FROM flow_trigger_queue');
    await c.query('VACUUM ANALYZE');
  });
}
