// Runs one of the connectors' declared scheduled jobs (connectors/connector.ts, scheduledJobs)
// as the worker would, without waiting for Agenda's schedule.
import { connectorJobHost } from '../../src/jobs/connector-jobs.ts';
import type { Runtime } from '../../src/runtime.ts';

export async function runConnectorJob(rt: Pick<Runtime, 'db' | 'secrets' | 'logger' | 'connectors'>, name: string): Promise<unknown> {
  const job = Object.values(rt.connectors).flatMap((c) => c?.scheduledJobs?.() ?? []).find((j) => j.name === name);
  if (!job) throw new Error(`no connector declares the job ${name}`);
  return job.run(connectorJobHost(rt));
}
