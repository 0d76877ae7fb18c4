// Commit-reveal for a rotating pool's drawn payout order. At creation the server keeps a random secret
// and the workflow receives only its SHA-256 commitment; at activation the secret is revealed, checked
// against the commitment, and hashed with the members and the pool into the seed of the draw. Nobody
// can predict the order before activation, and anyone can check it afterwards with verifyPayoutDraw.
import { rngFromState, shuffled } from './random';
import { sha256, sha256Hex } from '../core/sha256';

/** Names the hashing scheme inside the seed's preimage, so a future scheme can never collide with it. */
export const PAYOUT_DRAW_SCHEME = 'poolflow/payout-draw/v1';

/** A revealed draw: everything needed to recompute the seed and the order, published after activation. */
export interface PayoutDraw {
  scheme: typeof PAYOUT_DRAW_SCHEME;
  /** SHA-256 (hex) of the secret's text, fixed in the workflow's input at the pool's creation. */
  commitment: string;
  /** The server-held secret (64 hex digits), revealed at activation. */
  secret: string;
  poolId: string;
  /** The members the order was drawn from, in join order. */
  memberIds: string[];
  /** SHA-256 (hex) of the JSON array [scheme, secret, memberIds, poolId]. */
  seed: string;
}

/** Thrown when a revealed secret does not match the pool's commitment: the draw must not happen. */
export class PayoutDrawMismatch extends Error {}

/** The commitment to a secret: SHA-256 of its text (`printf %s SECRET | sha256sum`). */
export function drawCommitment(secret: string): string {
  return sha256Hex(secret);
}

/** The draw's seed: the secret, the ordered members and the pool, hashed together (JSON keeps them apart). */
export function payoutDrawSeed(secret: string, memberIds: readonly string[], poolId: string): string {
  return sha256Hex(JSON.stringify([PAYOUT_DRAW_SCHEME, secret, memberIds, poolId]));
}

/** Checks the revealed secret against the commitment and fixes the draw; throws PayoutDrawMismatch otherwise. */
export function revealPayoutDraw(input: { commitment: string; secret: string; poolId: string; memberIds: readonly string[] }): PayoutDraw {
  if (drawCommitment(input.secret) !== input.commitment) {
    throw new PayoutDrawMismatch(`the revealed secret of pool ${input.poolId} does not match its commitment ${input.commitment}`);
  }
  return {
    scheme: PAYOUT_DRAW_SCHEME,
    commitment: input.commitment,
    secret: input.secret,
    poolId: input.poolId,
    memberIds: [...input.memberIds],
    seed: payoutDrawSeed(input.secret, input.memberIds, input.poolId),
  };
}

/**
 * The payout order the draw gives: a Fisher-Yates shuffle of the members driven by xoshiro128** whose
 * 128-bit state is the first half of the seed's digest, so none of the seed's entropy is folded away.
 */
export function drawnPayoutOrder(draw: Pick<PayoutDraw, 'seed' | 'memberIds'>): string[] {
  const digest = sha256(`${draw.seed}/payout-order`);
  const view = new DataView(digest.buffer);
  const state: [number, number, number, number] = [view.getUint32(0), view.getUint32(4), view.getUint32(8), view.getUint32(12)];
  if (state.every((word) => word === 0)) state[0] = 1; // xoshiro's one forbidden state
  return shuffled(draw.memberIds, rngFromState(state));
}

/** What anyone can check after activation: the secret matches the commitment, and seed and order follow. */
export function verifyPayoutDraw(draw: PayoutDraw, payoutOrder: readonly string[]): boolean {
  if (draw.scheme !== PAYOUT_DRAW_SCHEME || drawCommitment(draw.secret) !== draw.commitment) return false;
  if (payoutDrawSeed(draw.secret, draw.memberIds, draw.poolId) !== draw.seed) return false;
  return drawnPayoutOrder(draw).join('\n') === payoutOrder.join('\n');
}
