/** Agenda job names: the stable identifiers stored in agenda_jobs. */
export const JobNames = {
  expireDeliveries: 'webhook-deliveries:expire',
  drainWebhooks: 'webhooks:drain',
  syncCatalogs: 'catalog:sync',
  deliverMessages: 'messages:deliver',
  bigcommerceHooks: 'bigcommerce:hooks:check',
} as const;
