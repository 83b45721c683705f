// The store, audience and flow the steps benchmark runs: abandoned-checkout shaped (Started
// Checkout → wait → "has placed an order since entering?" → email), every profile consented,
// smart sending off so each run ends in a message. Profiles and events are written set-based and
// runs enter through enterFlow, the function every trigger enters through: ingesting 100,000
// events and draining the queue would take longer than the measurement and tell us nothing about
// the tick (the ingest benchmark and the latency benchmark cover that path).
import { indexSeededEmails } from './profile-identifiers.ts';
import type { Runtime } from '../../src/runtime.ts';
import { createFlow } from '../../src/flows/flow-service.ts';
import { enterFlow, type Candidate } from '../../src/flows/flow-entry.ts';
import { findTriggerableFlows } from '../../src/db/repositories/flows.ts';
import type { ProfileId } from '../../src/model/ids.ts';
import type { Store } from '../../src/model/store.ts';
import { createStore } from '../../src/stores/create-store.ts';
import { runWithConcurrency } from './concurrency.ts';
import { BENCH_FLOW } from './flow-shape.ts';

const ENTRY_BATCH = 5_000;
const ENTRY_IN_FLIGHT = 2;
const ITEMS = [
  { ProductID: 'P1', VariantID: 'P1-V1', Quantity: 1, ItemPrice: 59 },
  { ProductID: 'P2', VariantID: 'P2-V3', Quantity: 1, ItemPrice: 25 },
];

const definition = {
  name: 'Checkout reminder (benchmark)',
  status: 'live',
  trigger: { type: 'metric', metric: BENCH_FLOW.trigger },
  reentry: { mode: 'always' },
  start: BENCH_FLOW.delayStep,
  steps: [
    { id: BENCH_FLOW.delayStep, type: 'delay', duration: BENCH_FLOW.delay, next: BENCH_FLOW.splitStep },
    // Nobody orders in this benchmark, so every run takes "no" and is mailed; "yes" ends the run.
    { id: BENCH_FLOW.splitStep, type: 'split', condition: { metric: 'Placed Order', since: 'entry' }, no: BENCH_FLOW.emailStep },
    {
      id: BENCH_FLOW.emailStep,
      type: 'email',
      subject: BENCH_FLOW.subject('{{ profile.firstName }}'),
      html: BENCH_FLOW.html('{{ profile.firstName }}', '{{ event.properties.CheckoutURL }}', '{{ unsubscribeUrl }}'),
    },
  ],
  smartSending: { enabled: false },
};

export type FlowSeed = { store: Store; flowId: string; profiles: number; entered: number; seconds: Record<string, number> };

async function timedStep<T>(seconds: Record<string, number>, name: string, fn: () => Promise<T>): Promise<T> {
  const start = process.hrtime.bigint();
  const result = await fn();
  seconds[name] = Number((Number(process.hrtime.bigint() - start) / 1e9).toFixed(3));
  return result;
}

/** `count` consented profiles, the live flow, and one Started Checkout run each, entered at `t0`. */
export async function seedCheckoutRuns(rt: Runtime, count: number, t0: Date): Promise<FlowSeed> {
  const seconds: Record<string, number> = {};
  const pool = rt.db.pool;
  const { store } = await createStore(pool, rt.secrets, { platform: 'custom', domain: 'bench-flows.example.com' });
  const created = await createFlow(pool, store, definition, { lowInventory: [] });
  if (!created.ok) throw new Error(`the benchmark flow was refused: ${JSON.stringify(created.errors)}`);

  await timedStep(seconds, 'seedRowsSeconds', async () => {
    await pool.query(
      `INSERT INTO profiles (store_id, email, first_name, email_consent)
       SELECT $1, 'buyer' || lpad(i::text, 6, '0') || '@example.com', 'Shopper' || i, 'subscribed' FROM generate_series(0, $2 - 1) AS i`,
      [store.id, count],
    );
    await indexSeededEmails(pool, store.id);
    // One Started Checkout a minute before t0 per profile, shaped as the API stores it.
    await pool.query(
      `INSERT INTO events (store_id, metric, profile_id, time, value, properties, unique_id)
       SELECT $1, $2, p.id, $3, 84,
         jsonb_build_object('CheckoutURL', 'https://bench-flows.example.com/checkouts/' || p.email, 'Items', $4::jsonb),
         'checkout-' || p.email
       FROM profiles p WHERE p.store_id = $1`,
      [store.id, BENCH_FLOW.trigger, new Date(t0.getTime() - 60_000), JSON.stringify(ITEMS)],
    );
  });

  const entered = await timedStep(seconds, 'seedEntrySeconds', async () => {
    const [flow] = await findTriggerableFlows(pool, store.id, 'metric', [BENCH_FLOW.trigger]);
    if (!flow) throw new Error('the benchmark flow is not triggerable');
    const { rows } = await pool.query<{ id: string; profile_id: string; time: Date; value: number; properties: Record<string, unknown> }>(
      'SELECT id::text AS id, profile_id, time, value, properties FROM events WHERE store_id = $1 ORDER BY id',
      [store.id],
    );
    // The trigger event as processTriggerQueue hands it over (triggerEvents), keyed as it keys it.
    const candidates: Candidate[] = rows.map((e) => ({
      profileId: e.profile_id as ProfileId,
      key: `event:${e.id}`,
      triggerEvent: {
        id: e.id,
        metric: BENCH_FLOW.trigger,
        time: e.time.toISOString(),
        value: e.value,
        properties: e.properties,
        items: ITEMS.map((i) => ({ productId: i.ProductID, variantId: i.VariantID, quantity: i.Quantity, price: i.ItemPrice })),
      },
    }));
    let total = 0;
    await runWithConcurrency(Math.ceil(candidates.length / ENTRY_BATCH), ENTRY_IN_FLIGHT, async (b) => {
      const n = await enterFlow(pool, flow, candidates.slice(b * ENTRY_BATCH, (b + 1) * ENTRY_BATCH), t0);
      total += n;
    });
    return total;
  });
  if (entered !== count) throw new Error(`expected ${count} runs to enter, ${entered} did`);
  return { store, flowId: created.flow.id, profiles: count, entered, seconds };
}
