// The connectors' own scheduled jobs (connectors/connector.ts, scheduledJobs), wired into Agenda
// with what they run on: read access to the pool and the one writer of what they learn.
import type { Agenda } from 'agenda';
import type { JobHost } from '../../connectors/connector.ts';
import type { Runtime } from '../runtime.ts';
import { savePlatformRecord } from '../stores/platform-records.ts';

export function connectorJobHost(rt: Pick<Runtime, 'db' | 'secrets' | 'logger'>): JobHost {
  return { pool: rt.db.pool, secrets: rt.secrets, logger: rt.logger, record: (r) => savePlatformRecord(rt.db.pool, r) };
}

export async function scheduleConnectorJobs(agenda: Agenda, rt: Runtime): Promise<void> {
  const host = connectorJobHost(rt);
  for (const connector of Object.values(rt.connectors)) {
    for (const job of connector?.scheduledJobs?.() ?? []) {
      agenda.define(job.name, async () => {
        await job.run(host);
      }, { concurrency: 1 });
      await agenda.every(job.every, job.name);
    }
  }
}
