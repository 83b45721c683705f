// What a benchmark figure depends on besides the code: the machine and the Postgres settings
// that decide how much a commit costs. Recorded with every run so that figures from different
// days can be told apart.
import { availableParallelism, cpus, totalmem } from 'node:os';
import { ADMIN_URL, withClient } from './database.ts';

/** fsync and synchronous_commit set the price of a commit; the rest, of a large or long run. */
export const PG_SETTINGS = ['fsync', 'synchronous_commit', 'full_page_writes', 'wal_level', 'shared_buffers', 'work_mem', 'max_wal_size', 'checkpoint_timeout', 'autovacuum'] as const;

export type Machine = {
  cores: number;
  cpu: string;
  ramGiB: number;
  node: string;
  postgres: string;
  settings: Record<string, string>;
};

export async function describeMachine(): Promise<Machine> {
  const pgInfo = await withClient(ADMIN_URL, async (c) => {
    const version = (await c.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version;
    const settings: Record<string, string> = {};
    for (const name of PG_SETTINGS) settings[name] = (await c.query<Record<string, string>>(`SHOW ${name}`)).rows[0]![name]!;
    return { version, settings };
  }).catch((err: unknown) => ({ version: `unknown (${(err as Error).message})`, settings: {} as Record<string, string> }));
  return {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    ramGiB: Number((totalmem() / 1024 ** 3).toFixed(1)),
    node: process.version,
    postgres: pgInfo.version,
    settings: pgInfo.settings,
  };
}
