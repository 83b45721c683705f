// Admin GraphQL calls that respect Shopify's leaky bucket. Each response reports the bucket
// (throttleStatus); before the next call we wait until it holds what the last call cost, and
// a THROTTLED answer or an HTTP 429 is waited out and retried, never surfaced as a failure.
import { GraphqlQueryError, HttpRetriableError, HttpThrottlingError, type Shopify } from '@shopify/shopify-api';
import { z } from 'zod';
import { offlineSession } from './shopify-api.ts';

const Cost = z.object({
  requestedQueryCost: z.number().nullish(),
  actualQueryCost: z.number().nullish(),
  throttleStatus: z.object({ maximumAvailable: z.number(), currentlyAvailable: z.number(), restoreRate: z.number().positive() }),
});
type Cost = z.infer<typeof Cost>;

export type GraphqlCall = (query: string, variables?: Record<string, unknown>) => Promise<unknown>;

export type ThrottleOptions = {
  sleep?: (ms: number) => Promise<void>;
  /** Past this much waiting on one call, give up: the sync stays resumable and is picked up again. */
  maxWaitMs?: number;
  /** Transient 5xx answers retried per call. */
  serverRetries?: number;
};

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function costOf(extensions: unknown): Cost | undefined {
  const parsed = Cost.safeParse((extensions as { cost?: unknown } | undefined)?.cost);
  return parsed.success ? parsed.data : undefined;
}

function isThrottled(err: GraphqlQueryError): boolean {
  const errors = (err.body?.errors as { graphQLErrors?: Array<{ extensions?: { code?: string } }> } | undefined)?.graphQLErrors ?? [];
  return errors.some((e) => e.extensions?.code === 'THROTTLED');
}

export function createAdminGraphql(shopify: Shopify, shop: string, accessToken: string, opts: ThrottleOptions = {}): GraphqlCall {
  const client = new shopify.clients.Graphql({ session: offlineSession(shopify, shop, accessToken) });
  const sleep = opts.sleep ?? defaultSleep;
  const maxWaitMs = opts.maxWaitMs ?? 15 * 60_000;
  let bucket: { cost: Cost; at: number } | undefined;

  /** How long until the bucket refills to `need` points, from the last status seen. */
  const waitFor = (need: number): number => {
    if (!bucket) return 0;
    const { currentlyAvailable, maximumAvailable, restoreRate } = bucket.cost.throttleStatus;
    const now = Math.min(maximumAvailable, currentlyAvailable + ((Date.now() - bucket.at) / 1000) * restoreRate);
    return need > now ? Math.ceil(((need - now) / restoreRate) * 1000) : 0;
  };

  return async (query, variables) => {
    let waited = 0;
    let serverFailures = 0;
    for (let attempt = 0; ; attempt++) {
      const pause = waitFor(bucket?.cost.requestedQueryCost ?? 0);
      if (pause > 0) {
        await sleep(pause);
        waited += pause;
      }
      try {
        const res = await client.request(query, { variables });
        const cost = costOf(res.extensions);
        if (cost) bucket = { cost, at: Date.now() };
        return res.data;
      } catch (err) {
        let backoff: number;
        if (err instanceof GraphqlQueryError && isThrottled(err)) {
          const cost = costOf(err.body?.extensions);
          if (cost) bucket = { cost, at: Date.now() };
          // The wait above covers a known bucket; this is the floor when none was reported.
          backoff = cost && waitFor(cost.requestedQueryCost ?? 0) > 0 ? 0 : Math.min(30_000, 1000 * 2 ** attempt);
        } else if (err instanceof HttpThrottlingError) {
          backoff = (err.response.retryAfter ?? 2 ** attempt) * 1000;
        } else if (err instanceof HttpRetriableError && serverFailures++ < (opts.serverRetries ?? 3)) {
          backoff = Math.min(30_000, 1000 * 2 ** serverFailures);
        } else {
          throw err;
        }
        if (waited + backoff + waitFor(bucket?.cost.requestedQueryCost ?? 0) > maxWaitMs) {
          throw new Error(`Shopify kept ${shop} throttled for over ${Math.round(maxWaitMs / 1000)} s; the sync resumes on its next run`, { cause: err });
        }
        if (backoff > 0) {
          await sleep(backoff);
          waited += backoff;
        }
      }
    }
  };
}
