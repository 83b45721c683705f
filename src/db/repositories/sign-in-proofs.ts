// Single use of platform sign-in proofs: the first claim of a digest wins, in any web process.
import type { Queryable } from '../pool.ts';

/** True when this call spent the proof; false when it was spent before (a replay). */
export async function claimProof(db: Queryable, kind: string, digest: Buffer, expiresAt: Date): Promise<boolean> {
  const { rowCount } = await db.query(
    'INSERT INTO used_sign_in_proofs (kind, digest, expires_at) VALUES ($1, $2, $3) ON CONFLICT (kind, digest) DO NOTHING',
    [kind, digest, expiresAt],
  );
  return rowCount === 1;
}

/** Drops proofs past their expiry: they are refused on their own by then. */
export async function purgeExpiredProofs(db: Queryable, now: Date): Promise<number> {
  const { rowCount } = await db.query('DELETE FROM used_sign_in_proofs WHERE expires_at <= $1', [now]);
  return rowCount ?? 0;
}
