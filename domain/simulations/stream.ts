// One path's random stream: Threefry4x32-20 keyed by the batch seed, counter (block, path), so the numbers
// path i draws depend only on (seed, i). A stream is re-pointed at the next path instead of re-created,
// and refills a four-word buffer in place: no allocation per draw.
import { threefry4x32, threefryKeySchedule } from './threefry';

const TWO_32 = 4_294_967_296;
/** Seeds are integers below 2^53, so they survive JSON and fill the two key words. */
export const SEED_MAX = Number.MAX_SAFE_INTEGER;

export class PathStream {
  /** Key (seed low word, seed high word, 0, 0), scheduled once. */
  private readonly schedule = new Int32Array(5);
  private path0 = 0;
  private path1 = 0;
  private block = 0;
  private position = 4;
  private readonly words = new Uint32Array(4);

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be an integer in [0, 2^53), got ${seed}`);
    threefryKeySchedule((seed % TWO_32) | 0, Math.floor(seed / TWO_32) | 0, 0, 0, this.schedule);
  }

  /** Points the stream at the start of a path's numbers. */
  startPath(pathIndex: number): void {
    this.path0 = (pathIndex % TWO_32) | 0;
    this.path1 = Math.floor(pathIndex / TWO_32) | 0;
    this.block = 0;
    this.position = 4;
  }

  /** The next uint32 of this path. */
  nextUint32(): number {
    if (this.position === 4) {
      threefry4x32(this.block, this.path0, this.path1, 0, this.schedule, this.words);
      this.block = (this.block + 1) | 0;
      this.position = 0;
    }
    return this.words[this.position++]!;
  }

  /** A uniform in the open interval (0, 1), so its logarithm is always finite. */
  nextUniform(): number {
    return (this.nextUint32() + 0.5) / TWO_32;
  }

  /** A uniform integer in [0, n) for n ≤ 2^32, by rejection so that no value is favoured. */
  nextIndex(n: number): number {
    const limit = TWO_32 - (TWO_32 % n);
    for (;;) {
      const word = this.nextUint32();
      if (word < limit) return word % n;
    }
  }
}

/** What the normal sampler needs from a stream (tests feed chosen words through it). */
export interface WordSource {
  nextUint32(): number;
  nextUniform(): number;
}
