// Agenda glue for outbound webhook calls (see flows/outbound-delivery.ts): one pump per worker;
// each scheduled run starts what is due and returns without waiting for slow receivers.
import type { Runtime } from '../runtime.ts';
import { createOutboundPump, type OutboundPump } from '../flows/outbound-delivery.ts';

export function createOutboundDelivery(rt: Pick<Runtime, 'config' | 'db' | 'secrets' | 'logger'>, opts: { timeoutMs?: number; perHost?: number } = {}): OutboundPump {
  return createOutboundPump({ pool: rt.db.pool, secrets: rt.secrets, rules: rt.config.outbound, logger: rt.logger, ...opts });
}
