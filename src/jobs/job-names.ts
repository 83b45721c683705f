/** Agenda job names: the stable identifiers stored in agenda_jobs. Connectors name their own (scheduledJobs). */
export const JobNames = {
  expireDeliveries: 'webhook-deliveries:expire',
  expireExports: 'personal-data-exports:expire',
  drainWebhooks: 'webhooks:drain',
  syncCatalogs: 'catalog:sync',
  deliverMessages: 'messages:deliver',
  deliverOutbound: 'outbound:deliver',
  flowTriggers: 'flows:triggers',
  /** One job per slot so ticks run in parallel across workers: flows:tick:0, flows:tick:1, … */
  flowTick: 'flows:tick',
  flowDates: 'flows:dates',
  sellOutForecast: 'flows:sell-out-forecast',
  backInStock: 'flows:back-in-stock',
  segments: 'segments:evaluate',
} as const;
