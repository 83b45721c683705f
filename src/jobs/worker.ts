// The Agenda worker: any number of these may run against one database; Agenda's locks in
// Postgres make each scheduled run happen once.
import { expireExports } from '../merchant/personal-data-exports.ts';
import { hostname } from 'node:os';
import { Agenda, type Job } from 'agenda';
import { PostgresBackend } from '@agendajs/postgres-backend';
import type { Runtime } from '../runtime.ts';
import { JobNames } from './job-names.ts';
import { runExpireDeliveries } from './expire-deliveries.ts';
import { drainWebhooks } from './process-webhooks.ts';
import { runCatalogSyncs, STALE_AFTER_MS as CATALOG_SYNC_STALE_MS } from './sync-catalog.ts';
import { createMessageDelivery } from './deliver-messages.ts';
import { createOutboundDelivery } from './deliver-outbound.ts';
import { FLOW_TICK_SLOTS, runBackInStockJob, runDateJob, runSegmentJob, runSellOutForecastJob, runTickJob, runTriggerJob } from './flow-jobs.ts';
import { scheduleConnectorJobs } from './connector-jobs.ts';

export type Worker = { agenda: Agenda; stop(): Promise<void> };

export type WorkerOptions = {
  processEvery?: string | number;
  /**
   * How long every job may hold its lock (overriding each job's own). Agenda keeps a liveness
   * timer of half this per run that stop() does not clear, so a stopped worker's process
   * lingers that long unless it exits: tests pass a short one.
   */
  lockLifetimeMs?: number;
  /** How often the webhook inbox is drained. */
  drainEvery?: string | number;
};

export async function startWorker(rt: Runtime, opts: WorkerOptions = {}): Promise<Worker> {
  const backend = new PostgresBackend({
    pool: rt.db.pool,
    // The embedded database multiplexes one backend: LISTEN would not reach this client.
    disableNotifications: rt.db.mode !== 'server',
  });
  // The LISTEN connection emits 'error' when the server restarts or fails over; unheard, that
  // event killed the process. The channel reconnects by itself and polling covers the gap.
  backend.notificationChannel?.on('error', (err) => rt.logger.warn({ err }, 'job notifications lost their connection; reconnecting'));
  const agenda = await connectInTurn(rt, () => new Agenda({
    backend,
    name: `${hostname()}:${process.pid}`,
    processEvery: opts.processEvery ?? '1 second',
    defaultLockLifetime: opts.lockLifetimeMs ?? 10 * 60_000,
  }));
  agenda.on('error', (err) => rt.logger.error({ err }, 'agenda error'));
  agenda.on('fail', (err: unknown, job: { attrs: { name: string } }) => rt.logger.error({ err, job: job.attrs.name }, 'job failed'));

  agenda.define(JobNames.expireDeliveries, async () => {
    await runExpireDeliveries(rt);
  });

  agenda.define(JobNames.expireExports, async () => {
    const removed = await expireExports(rt.db.pool, rt.config.personalDataExportRetentionDays);
    if (removed > 0) rt.logger.info({ removed, retentionDays: rt.config.personalDataExportRetentionDays }, 'deleted personal data exports past their retention');
  });

  agenda.define(JobNames.drainWebhooks, async () => {
    await drainWebhooks(rt);
  }, { concurrency: 1 });

  // The lock lives as long as a sync's heartbeat and is renewed with it after every page. A fixed
  // 30-minute lock let a worker killed mid-pull stall every store's sync for that long.
  agenda.define(JobNames.syncCatalogs, async (job) => {
    await runCatalogSyncs(rt, {
      // A failed renewal must not fail the pull; at worst another worker joins in, and the sync's own claim keeps them apart.
      onPage: () => job.touch().catch((err: unknown) => rt.logger.warn({ err, job: job.attrs.name }, 'could not renew a job lock')),
    });
  }, { concurrency: 1, lockLifetime: opts.lockLifetimeMs ?? CATALOG_SYNC_STALE_MS });

  // Flow and delivery jobs keep their Agenda lock only as long as the lease on the work they claim,
  // renewing it while they run. Under the 10-minute default, a worker killed mid-job would leave
  // every job it held locked, and so stalled, for that long; a live job never loses its lock.
  const flowLockMs = opts.lockLifetimeMs ?? rt.config.flowLeaseSeconds * 1000;
  const renewed = (run: () => Promise<unknown>) => renewingLock(rt, flowLockMs, run);

  const delivery = createMessageDelivery(rt);
  agenda.define(JobNames.deliverMessages, renewed(() => delivery.run()), { concurrency: 1, lockLifetime: flowLockMs });

  // Starts due webhook calls and returns; the calls finish (and record themselves) in the background.
  const outbound = createOutboundDelivery(rt);
  agenda.define(JobNames.deliverOutbound, async () => {
    await outbound.run();
  }, { concurrency: 1 });

  // Work a job just made due is carried on rather than left for the next job's poll: runs just
  // entered take their first steps in the trigger job, and messages just queued start going out
  // at once. Each poll is up to a second (three for delivery) of waiting between a trigger and
  // its message. Ticks and deliveries lease what they take, so running them beside their own
  // jobs is safe. Delivery runs beside the job that queued (one loop per process at a time, run
  // again if asked meanwhile), so a slow mail server does not hold up entering and ticking.
  let delivering: Promise<void> | undefined;
  let deliverAgain = false;
  const deliverNow = (steps: number) => {
    if (steps === 0) return;
    if (delivering) {
      deliverAgain = true;
      return;
    }
    delivering = (async () => {
      do {
        deliverAgain = false;
        await delivery.run();
      } while (deliverAgain);
    })()
      .catch((err: unknown) => rt.logger.error({ err }, 'message delivery failed'))
      .finally(() => {
        delivering = undefined;
      });
  };
  agenda.define(JobNames.flowTriggers, renewed(async () => {
    if ((await runTriggerJob(rt)) > 0) deliverNow(await runTickJob(rt));
  }), { concurrency: 1, lockLifetime: flowLockMs });
  for (let slot = 0; slot < FLOW_TICK_SLOTS; slot++) {
    agenda.define(`${JobNames.flowTick}:${slot}`, renewed(async () => deliverNow(await runTickJob(rt))), { concurrency: 1, lockLifetime: flowLockMs });
  }
  agenda.define(JobNames.flowDates, async () => {
    await runDateJob(rt);
  }, { concurrency: 1 });
  agenda.define(JobNames.sellOutForecast, async () => {
    await runSellOutForecastJob(rt);
  }, { concurrency: 1 });
  agenda.define(JobNames.backInStock, async () => {
    await runBackInStockJob(rt);
  }, { concurrency: 1 });
  agenda.define(JobNames.segments, async () => {
    await runSegmentJob(rt);
  }, { concurrency: 1, lockLifetime: opts.lockLifetimeMs ?? 30 * 60_000 });

  await agenda.start();
  await agenda.every('1 hour', JobNames.expireDeliveries);
  await agenda.every('1 hour', JobNames.expireExports);
  await agenda.every('1 second', JobNames.flowTriggers);
  for (let slot = 0; slot < FLOW_TICK_SLOTS; slot++) await agenda.every('1 second', `${JobNames.flowTick}:${slot}`);
  await agenda.every('15 minutes', JobNames.flowDates);
  await agenda.every('15 minutes', JobNames.sellOutForecast);
  await agenda.every('5 minutes', JobNames.segments);
  // Recounts are due per episode (the flow's interval, a minute at the least): looked for each minute.
  await agenda.every('1 minute', JobNames.backInStock);
  await agenda.every(opts.drainEvery ?? '2 seconds', JobNames.drainWebhooks);
  await agenda.every('10 seconds', JobNames.syncCatalogs);
  await agenda.every('3 seconds', JobNames.deliverMessages);
  await agenda.every('1 second', JobNames.deliverOutbound);
  await scheduleConnectorJobs(agenda, rt);
  rt.logger.info('worker started');
  return {
    agenda,
    async stop() {
      await agenda.stop();
      await delivering;
      delivery.close();
      await outbound.idle();
    },
  };
}

const AGENDA_SCHEMA_LOCK = 7_420_312; // arbitrary, fixed: next to the migrations' lock key

/**
 * Agenda creates its tables when it connects, with no lock of its own: workers starting together
 * on a fresh database race on CREATE TABLE IF NOT EXISTS and the loser dies. They take turns here,
 * as migrations do; the later ones find the tables there.
 */
async function connectInTurn(rt: Runtime, create: () => Agenda): Promise<Agenda> {
  const client = await rt.db.pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [AGENDA_SCHEMA_LOCK]);
    const agenda = create();
    await agenda.ready;
    return agenda;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [AGENDA_SCHEMA_LOCK]).catch(() => {});
    client.release();
  }
}

/**
 * Runs a job while touching its lock every third of the lock's lifetime. The last touch is awaited
 * before the job returns, so it cannot land after Agenda's unlock and re-lock a finished job.
 */
function renewingLock(rt: Runtime, lockMs: number, run: () => Promise<unknown>): (job: Job) => Promise<void> {
  return async (job) => {
    let touching: Promise<void> = Promise.resolve();
    const timer = setInterval(() => {
      touching = touching
        .then(() => job.touch())
        // A job Agenda already cancelled refuses the touch; the run itself ends on its own.
        .catch((err: unknown) => rt.logger.warn({ err, job: job.attrs.name }, 'could not renew a job lock'));
    }, lockMs / 3);
    try {
      await run();
    } finally {
      clearInterval(timer);
      await touching;
    }
  };
}
