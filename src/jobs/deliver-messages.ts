// Agenda glue for message delivery: transports are built once per worker from the config, and
// each scheduled run drains what is due (see messaging/deliver.ts).
import type { Runtime } from '../runtime.ts';
import { deliverDue, type DeliveryTally } from '../messaging/deliver.ts';
import { createEmailTransport } from '../messaging/email-transport.ts';
import { createSmsTransport } from '../messaging/sms-transport.ts';
import { messageLinkKey } from '../messaging/links.ts';

export type MessageDelivery = { run(opts?: { budgetMs?: number }): Promise<DeliveryTally>; close(): void };

export function createMessageDelivery(rt: Pick<Runtime, 'config' | 'db' | 'secrets' | 'logger'>, clock: () => Date = () => new Date()): MessageDelivery {
  const email = createEmailTransport(rt.config.smtpUrl);
  const sms = createSmsTransport(rt.config.sms);
  const deps = {
    db: rt.db.pool,
    email,
    sms,
    now: clock,
    logger: rt.logger,
    appUrl: rt.config.appUrl,
    mailFrom: rt.config.mailFrom,
    linkKey: messageLinkKey(rt.secrets),
    outboxLeaseMs: rt.config.flowLeaseSeconds * 1000,
  };
  return {
    run: (opts = {}) => deliverDue(deps, opts),
    close: () => email.close(),
  };
}
