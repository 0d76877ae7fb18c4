// A seeded pseudo-random generator for draws that must be reproducible — the random payout order, bid
// tie-breaks, Monte Carlo paths. Same seed, same sequence, on every machine and in every replay.
// xoshiro128** (Blackman and Vigna), seeded through SplitMix32 from a 32-bit FNV-1a hash of the seed text.

export interface Rng {
  /** A uniformly distributed integer in [0, 2^32). */
  nextUint32(): number;
  /** A uniformly distributed integer in [0, bound), without modulo bias. */
  nextInt(bound: number): number;
}

/** The largest bound nextInt accepts: draws are taken from 32 bits. */
export const RNG_BOUND_MAX = 2 ** 32;

function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

function splitMix32(state: number): [value: number, next: number] {
  const next = (state + 0x9e3779b9) >>> 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return [(z ^ (z >>> 16)) >>> 0, next];
}

const rotl = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;

/** A generator for `seed`; derive independent streams by seeding with `${seed}/${purpose}`. */
export function createRng(seed: string): Rng {
  let state = fnv1a32(seed);
  const words: [number, number, number, number] = [0, 0, 0, 0];
  for (let i = 0; i < 4; i++) [words[i], state] = splitMix32(state);
  if (words.every((word) => word === 0)) words[0] = 1; // xoshiro's one forbidden state
  return rngFromState(words);
}

/** xoshiro128** over an explicit 128-bit state (exported so tests can check the reference outputs). */
export function rngFromState(initial: readonly [number, number, number, number]): Rng {
  const s = initial.map((word) => word >>> 0);
  const nextUint32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    for (let i = 0; i < 4; i++) s[i] = s[i]! >>> 0;
    return result;
  };

  const nextInt = (bound: number): number => {
    if (!Number.isInteger(bound) || bound < 1 || bound > RNG_BOUND_MAX) throw new RangeError(`bound must be an integer in [1, 2^32], got ${bound}`);
    // Reject the top sliver of the 32-bit range that would make some results more likely than others.
    const limit = RNG_BOUND_MAX - (RNG_BOUND_MAX % bound);
    for (;;) {
      const draw = nextUint32();
      if (draw < limit) return draw % bound;
    }
  };

  return { nextUint32, nextInt };
}

/** A Fisher–Yates shuffle of a copy of `items`, driven by `rng`. */
export function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const result = [...items];
  for (let i = result.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    [result[i], result[j]] = [result[j]!, result[i]!];
  }
  return result;
}
