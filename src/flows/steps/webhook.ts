// Webhook: a signed POST to the merchant's endpoint. The call is made by the outbound queue,
// never here: the run parks until it ends (delivered, or failed for good after its retries) and
// then goes on either way.
import { z } from 'zod';
import { checkOutboundUrl } from '../../security/outbound-url.ts';
import { WEBHOOK_MAX_ATTEMPTS } from '../outbound-webhook.ts';
import { next, StepId } from './fields.ts';
import { opt, str } from './form-values.ts';
import { THEN_FIELD, thenEdge, type StepModule } from './step-module.ts';

/**
 * A run parked on a webhook call is woken when the call ends; this is only the backstop should
 * that wake be missed, after which the run looks at its call again.
 */
export const WEBHOOK_PARK_MS = 15 * 60_000;

const schema = z.object({ id: StepId, type: z.literal('webhook'), url: z.url().refine((u) => /^https?:/.test(u), 'http(s) only'), next });
type WebhookStep = z.infer<typeof schema>;

export const webhookStep = {
  type: 'webhook',
  title: 'Call a webhook',
  schema,
  edges: () => thenEdge<WebhookStep>(),
  advance: (step, v) => {
    const { out, visitKey } = v;
    // An entry written before calls were queued may be an attempt still to be retried.
    const stored = out.context.webhooks[visitKey];
    const result = stored && (stored.ok || stored.attempts >= WEBHOOK_MAX_ATTEMPTS) ? stored : v.facts.webhookOutcome?.(visitKey);
    if (result) {
      out.context.webhooks[visitKey] = result;
      out.status = 'active';
      v.goTo(step.id, step.next, result.ok ? 'delivered' : `failed: ${result.error ?? 'unknown'}`);
      return 'on';
    }
    out.effects.push({ kind: 'webhook', stepId: step.id, url: step.url, key: visitKey });
    out.waitMetric = null;
    v.hold(new Date(v.now.getTime() + WEBHOOK_PARK_MS), 'waiting');
    return 'stop';
  },
  needs: {
    check: (step, _flow, outbound) => {
      // Checked again after DNS at call time; this catches what the URL itself gives away.
      const url = checkOutboundUrl(step.url, outbound);
      return url.ok ? [] : [{ path: 'url', message: `URL ${url.reason}; a webhook may only call a public host` }];
    },
  },
  form: {
    values: (step) => ({ url: step.url, next: str(step.next) }),
    parse: (f, base) => ({ step: { ...base, url: str(f.url).trim(), next: opt(f.next) } }),
    edgeFields: THEN_FIELD,
  },
  summary: (step) => `Webhook to ${step.url}`,
  sample: (id, to) => ({ id, type: 'webhook', url: 'https://example.com/hook', next: to }),
} satisfies StepModule<WebhookStep>;
