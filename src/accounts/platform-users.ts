// Control-panel users a platform signs in to the embedded app: when the platform says one was
// removed, the sessions their loads started end now rather than at their expiry.
import type { Queryable } from '../db/pool.ts';
import type { StoreId } from '../model/ids.ts';
import { deleteSubjectSessions } from '../db/repositories/web-sessions.ts';

/** Ends every session of the store started for this platform user; returns how many ended. */
export function endPlatformUserSessions(deps: { pool: Queryable }, storeId: StoreId, subject: string): Promise<number> {
  return deleteSubjectSessions(deps.pool, storeId, subject);
}
