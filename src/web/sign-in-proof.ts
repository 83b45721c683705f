// A platform's proof of who is signing in (a BigCommerce signed payload, a Wix signed instance,
// a Shopify id_token, a Wix install state) starts one session, once. The proof's digest is kept in
// Postgres until the proof would have expired anyway, so a replay from any web process is refused.
import { createHash } from 'node:crypto';
import { claimProof, purgeExpiredProofs } from '../db/repositories/sign-in-proofs.ts';
import type { AppContext } from '../runtime.ts';
import { ProblemError } from './problem.ts';

export type ProofKind = 'bigcommerce-load' | 'wix-instance' | 'wix-install-state' | 'shopify-id-token';

/**
 * The part of a proof its signature covers, which is what makes it this proof. Its signature is
 * left out: base64url decoders read several spellings of it (the unused low bits of its last
 * character, padding, skipped characters) as the same bytes, so each spelling would pass the
 * check and, digested as sent, count as a new proof. The install state's MAC is compared as a
 * string, so it has one spelling and is kept whole.
 */
function signedPart(kind: ProofKind, proof: string): string {
  switch (kind) {
    case 'bigcommerce-load':
    case 'shopify-id-token':
      return proof.slice(0, proof.lastIndexOf('.')); // JWS: header.payload.signature
    case 'wix-instance':
      return proof.slice(proof.indexOf('.') + 1); // signature.data
    case 'wix-install-state':
      return proof;
  }
}

/** Spends the proof or throws a 401 naming what to do instead. Call only after verifying it. */
export async function spendSignInProof(ctx: AppContext, kind: ProofKind, proof: string, expiresAt: Date, again: string): Promise<void> {
  const digest = createHash('sha256').update(signedPart(kind, proof)).digest();
  if (await claimProof(ctx.db.pool, kind, digest, expiresAt)) return;
  throw new ProblemError(401, `This sign-in link was already used. ${again}`, { slug: 'sign-in-replayed' });
}

export function purgeSpentProofs(ctx: AppContext, now: Date): Promise<number> {
  return purgeExpiredProofs(ctx.db.pool, now);
}
