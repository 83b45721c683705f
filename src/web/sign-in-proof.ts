// A platform's proof of who is signing in (a BigCommerce signed payload, a Wix signed instance,
// a Shopify id_token, a Wix install state) starts one session, once. The proof's digest is kept in
// Postgres until the proof would have expired anyway, so a replay from any web process is refused.
import { createHash } from 'node:crypto';
import { claimProof, purgeExpiredProofs } from '../db/repositories/sign-in-proofs.ts';
import type { AppContext } from '../runtime.ts';
import { ProblemError } from './problem.ts';

export type ProofKind = 'bigcommerce-load' | 'wix-instance' | 'wix-install-state' | 'shopify-id-token';

/** Spends the proof or throws a 401 naming what to do instead. */
export async function spendSignInProof(ctx: AppContext, kind: ProofKind, proof: string, expiresAt: Date, again: string): Promise<void> {
  const digest = createHash('sha256').update(proof).digest();
  if (await claimProof(ctx.db.pool, kind, digest, expiresAt)) return;
  throw new ProblemError(401, `This sign-in link was already used. ${again}`, { slug: 'sign-in-replayed' });
}

export function purgeSpentProofs(ctx: AppContext, now: Date): Promise<number> {
  return purgeExpiredProofs(ctx.db.pool, now);
}
