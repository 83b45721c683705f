// One flow worker process for the steps benchmark: the engine's own tick (`runFlowTick`), booted
// the way `npm run worker` boots, driven by the parent's clock instead of Agenda's schedule.
import { boot } from '../../src/boot.ts';
import { loadConfig } from '../../src/config.ts';
import { runFlowTick } from '../../src/flows/tick.ts';
import { serveTicks } from './tick-children.ts';

const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent' });
const rt = await boot({ config });
const deps = { pool: rt.db.pool, config: rt.config, secrets: rt.secrets, logger: rt.logger };
// 500 is the batch the Agenda tick job uses (runTickJob's default).
serveTicks((now) => runFlowTick(deps, { now, batch: 500 }), () => rt.close());
