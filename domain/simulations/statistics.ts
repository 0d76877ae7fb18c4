// Mergeable statistics of a batch. Paths are grouped in fixed blocks of BLOCK_PATHS; every summary covers
// a contiguous run of blocks, and two adjacent summaries merge by adding integer counts and concatenating
// per-block moments. Moments are folded (Chan et al.) only at the end, always in block order, so the
// aggregate has the same bits however the blocks were spread over chunks, threads and processes.

/** Paths per block: the unit of work for threads and of moment merges. Chunks hold whole blocks. */
export const BLOCK_PATHS = 1_024;

/**
 * A fixed grid [lo, hi) cut in `bins` bins, plus an underflow and an overflow bin. Bins are equal in
 * value, or with `log` equal in log(value) (0 < lo): values spanning orders of magnitude, such as a
 * portfolio's value, then keep the same relative resolution everywhere.
 */
export interface Grid {
  lo: number;
  hi: number;
  bins: number;
  log?: boolean;
}

/** What a model's path function reports, laid out once per batch. */
export interface Layout {
  /** Per-path values with moments and a histogram each. */
  scalars: Array<{ name: string; grid: Grid }>;
  /** Per-path yes/no outcomes, counted. */
  events: string[];
  /** Values at chosen steps of the path (a fan chart over time), all on one grid. */
  fan: { steps: number[]; grid: Grid } | null;
}

/** A run of whole blocks, JSON-safe. Histograms are sparse: [bin, count, bin, count, …]. */
export interface Summary {
  firstBlock: number;
  blockCount: number;
  paths: number;
  events: number[];
  /** Per scalar, per block in order: [n, mean, m2]. */
  blockMoments: number[][][];
  minimum: number[];
  maximum: number[];
  histograms: number[][];
  fan: number[][];
}

export function emptySummary(layout: Layout, firstBlock: number): Summary {
  return {
    firstBlock,
    blockCount: 0,
    paths: 0,
    events: layout.events.map(() => 0),
    blockMoments: layout.scalars.map(() => []),
    minimum: layout.scalars.map(() => Infinity),
    maximum: layout.scalars.map(() => -Infinity),
    histograms: layout.scalars.map(() => []),
    fan: (layout.fan?.steps ?? []).map(() => []),
  };
}

/** Where a grid's bins start on its scale: lo, or log(lo) on a log grid. */
const gridOrigin = (grid: Grid) => (grid.log ? Math.log(grid.lo) : grid.lo);
/** Bins per unit of the grid's scale. */
const gridScale = (grid: Grid) => grid.bins / (grid.log ? Math.log(grid.hi / grid.lo) : grid.hi - grid.lo);

// The one binning rule, on a grid's precomputed origin and scale: below lo (or NaN) is bin 0, at or above
// hi is bins + 1, and in between one logarithm at most.
function binIndex(lo: number, hi: number, bins: number, log: boolean, origin: number, scale: number, value: number): number {
  if (!(value >= lo)) return 0;
  if (value >= hi) return bins + 1;
  return 1 + Math.min(bins - 1, Math.floor(((log ? Math.log(value) : value) - origin) * scale));
}

/** The lower edge of in-grid bin k + 1 (k = 0 … bins: edge(bins) is hi). */
export function gridEdge(grid: Grid, k: number): number {
  return grid.log ? grid.lo * Math.exp((k / grid.bins) * Math.log(grid.hi / grid.lo)) : grid.lo + (k * (grid.hi - grid.lo)) / grid.bins;
}

/**
 * A run of whole blocks in one typed array, as a worker thread sends it back (its buffer transferred, not
 * copied): events, minimum and maximum per scalar, [n, mean, m2] per block per scalar, then the non-zero
 * histogram bins as (index, count) pairs over every scalar's histogram followed by every fan step's.
 */
export interface PackedSummary {
  firstBlock: number;
  blockCount: number;
  paths: number;
  data: Float64Array;
}

/**
 * Accumulates a run of blocks starting at `firstBlock` in typed arrays, reused path after path, so paths
 * allocate nothing: counts, extremes and histograms over the whole run, Welford moments per block
 * (endBlock keeps them). Each grid's constants sit in flat typed arrays, and every histogram in one array
 * at its own offset, so recording a path is one monomorphic loop with no property lookups and one
 * logarithm per value. An accumulator also merges the runs that follow its own, from other threads:
 * counts add, extremes take Math.min/Math.max and block moments append, exactly as mergeAdjacent does.
 */
export class BlockAccumulator {
  readonly scalars: Float64Array;
  readonly eventFlags: Uint8Array;
  readonly fanValues: Float64Array;
  private readonly moments: Float64Array;
  private readonly minimum: Float64Array;
  private readonly maximum: Float64Array;
  private readonly events: Float64Array;
  /** Per scalar: lo, hi, bins, log (1 or 0), origin, scale, then the histogram's offset in `histograms`. */
  private readonly grids: Float64Array;
  private readonly histograms: Float64Array;
  /** The fan's one grid, as in `grids`; fan step i's histogram starts at i · (bins + 2). */
  private readonly fanGrid: Float64Array;
  private readonly fanHistograms: Float64Array;
  private readonly blockMoments: number[][][];
  private pathCount = 0;

  constructor(
    private readonly layout: Layout,
    private first = 0,
  ) {
    const s = layout.scalars.length;
    this.scalars = new Float64Array(s);
    this.eventFlags = new Uint8Array(layout.events.length);
    this.fanValues = new Float64Array(layout.fan?.steps.length ?? 0);
    this.moments = new Float64Array(3 * s);
    this.minimum = new Float64Array(s).fill(Infinity);
    this.maximum = new Float64Array(s).fill(-Infinity);
    this.events = new Float64Array(layout.events.length);
    this.grids = new Float64Array(GRID_WORDS * s);
    let offset = 0;
    layout.scalars.forEach((scalar, i) => {
      this.grids.set(packGrid(scalar.grid, offset), GRID_WORDS * i);
      offset += scalar.grid.bins + 2;
    });
    this.histograms = new Float64Array(offset);
    this.fanGrid = new Float64Array(layout.fan ? packGrid(layout.fan.grid, 0) : []);
    this.fanHistograms = new Float64Array(layout.fan ? layout.fan.steps.length * (layout.fan.grid.bins + 2) : 0);
    this.blockMoments = layout.scalars.map(() => []);
  }

  /** The first block recorded. */
  get firstBlock(): number {
    return this.first;
  }

  /** Blocks recorded or merged so far. */
  get blockCount(): number {
    return this.blockMoments[0]?.length ?? 0;
  }

  /** Paths recorded or merged so far. */
  get paths(): number {
    return this.pathCount;
  }

  /** Records the path the model just wrote into scalars, eventFlags and fanValues (Welford's update). */
  record(): void {
    const { scalars, moments, minimum, maximum, grids, histograms, events, eventFlags, fanValues, fanGrid, fanHistograms } = this;
    for (let i = 0; i < scalars.length; i++) {
      const x = scalars[i]!;
      const n = moments[3 * i]! + 1;
      const delta = x - moments[3 * i + 1]!;
      const mean = moments[3 * i + 1]! + delta / n;
      moments[3 * i] = n;
      moments[3 * i + 1] = mean;
      moments[3 * i + 2] = moments[3 * i + 2]! + delta * (x - mean);
      if (x < minimum[i]!) minimum[i] = x;
      if (x > maximum[i]!) maximum[i] = x;
      const g = GRID_WORDS * i;
      histograms[grids[g + 6]! + binIndex(grids[g]!, grids[g + 1]!, grids[g + 2]!, grids[g + 3] === 1, grids[g + 4]!, grids[g + 5]!, x)]!++;
    }
    for (let i = 0; i < eventFlags.length; i++) events[i]! += eventFlags[i]!;
    if (fanValues.length > 0) {
      const stride = fanGrid[2]! + 2;
      for (let i = 0; i < fanValues.length; i++) {
        fanHistograms[i * stride + binIndex(fanGrid[0]!, fanGrid[1]!, fanGrid[2]!, fanGrid[3] === 1, fanGrid[4]!, fanGrid[5]!, fanValues[i]!)]!++;
      }
    }
    this.pathCount++;
  }

  /** Keeps the finished block's moments and starts the next block's. */
  endBlock(): void {
    for (let i = 0; i < this.blockMoments.length; i++) this.blockMoments[i]!.push([this.moments[3 * i]!, this.moments[3 * i + 1]!, this.moments[3 * i + 2]!]);
    this.moments.fill(0);
  }

  /** The blocks recorded or merged, packed into one typed array. */
  pack(): PackedSummary {
    const { events, minimum, maximum, histograms, fanHistograms, blockMoments } = this;
    const s = blockMoments.length;
    let nonZero = 0;
    for (let i = 0; i < histograms.length; i++) if (histograms[i] !== 0) nonZero++;
    for (let i = 0; i < fanHistograms.length; i++) if (fanHistograms[i] !== 0) nonZero++;
    const data = new Float64Array(events.length + 2 * s + 3 * s * this.blockCount + 2 * nonZero);
    data.set(events);
    data.set(minimum, events.length);
    data.set(maximum, events.length + s);
    let at = events.length + 2 * s;
    for (let b = 0; b < this.blockCount; b++) for (let i = 0; i < s; i++, at += 3) data.set(blockMoments[i]![b]!, at);
    for (let i = 0; i < histograms.length + fanHistograms.length; i++) {
      const count = i < histograms.length ? histograms[i]! : fanHistograms[i - histograms.length]!;
      if (count === 0) continue;
      data[at++] = i;
      data[at++] = count;
    }
    return { firstBlock: this.first, blockCount: this.blockCount, paths: this.pathCount, data };
  }

  /** Merges the packed summary of the blocks that directly follow the ones here. */
  absorb(next: PackedSummary): void {
    this.expectNext(next.firstBlock);
    const { events, minimum, maximum, histograms, fanHistograms, blockMoments } = this;
    const { data } = next;
    const s = blockMoments.length;
    for (let i = 0; i < events.length; i++) events[i]! += data[i]!;
    for (let i = 0; i < s; i++) {
      minimum[i] = Math.min(minimum[i]!, data[events.length + i]!);
      maximum[i] = Math.max(maximum[i]!, data[events.length + s + i]!);
    }
    let at = events.length + 2 * s;
    for (let b = 0; b < next.blockCount; b++) for (let i = 0; i < s; i++, at += 3) blockMoments[i]!.push([data[at]!, data[at + 1]!, data[at + 2]!]);
    for (; at < data.length; at += 2) {
      const bin = data[at]! | 0;
      if (bin < histograms.length) histograms[bin]! += data[at + 1]!;
      else fanHistograms[bin - histograms.length]! += data[at + 1]!;
    }
    this.pathCount += next.paths;
  }

  /** Empties the accumulator to record blocks from `firstBlock` on, keeping its arrays. */
  reset(firstBlock: number): void {
    this.first = firstBlock;
    this.pathCount = 0;
    this.moments.fill(0);
    this.minimum.fill(Infinity);
    this.maximum.fill(-Infinity);
    this.events.fill(0);
    this.histograms.fill(0);
    this.fanHistograms.fill(0);
    for (const blocks of this.blockMoments) blocks.length = 0;
  }

  /** Merges a (sparse, JSON-safe) summary of the blocks that directly follow the ones here: a resumed prefix. */
  absorbSummary(next: Summary): void {
    this.expectNext(next.firstBlock);
    next.events.forEach((count, i) => (this.events[i]! += count));
    next.histograms.forEach((h, i) => addSparseInto(this.histograms, this.grids[GRID_WORDS * i + 6]!, h));
    const fanStride = (this.layout.fan?.grid.bins ?? 0) + 2;
    next.fan.forEach((h, i) => addSparseInto(this.fanHistograms, i * fanStride, h));
    next.blockMoments.forEach((blocks, i) => {
      this.minimum[i] = Math.min(this.minimum[i]!, next.minimum[i]!);
      this.maximum[i] = Math.max(this.maximum[i]!, next.maximum[i]!);
      for (const m of blocks) this.blockMoments[i]!.push(m.slice());
    });
    this.pathCount += next.paths;
  }

  private expectNext(firstBlock: number): void {
    const end = this.firstBlock + this.blockCount;
    if (firstBlock !== end) throw new Error(`summaries are not adjacent: blocks ${this.firstBlock}+${this.blockCount} then ${firstBlock}`);
  }

  /** The summary of the blocks recorded or merged (JSON-safe). */
  summary(): Summary {
    const fanStride = (this.layout.fan?.grid.bins ?? 0) + 2;
    return {
      firstBlock: this.first,
      blockCount: this.blockCount,
      paths: this.pathCount,
      events: Array.from(this.events),
      blockMoments: this.blockMoments.map((blocks) => blocks.slice()),
      minimum: Array.from(this.minimum),
      maximum: Array.from(this.maximum),
      histograms: this.layout.scalars.map((scalar, i) =>
        sparse(this.histograms.subarray(this.grids[GRID_WORDS * i + 6]!, this.grids[GRID_WORDS * i + 6]! + scalar.grid.bins + 2)),
      ),
      fan: (this.layout.fan?.steps ?? []).map((_, i) => sparse(this.fanHistograms.subarray(i * fanStride, (i + 1) * fanStride))),
    };
  }
}

function addSparseInto(total: Float64Array, offset: number, pairs: number[]): void {
  for (let j = 0; j < pairs.length; j += 2) total[offset + pairs[j]!]! += pairs[j + 1]!;
}

const GRID_WORDS = 7;
const packGrid = (grid: Grid, offset: number) => [grid.lo, grid.hi, grid.bins, grid.log ? 1 : 0, gridOrigin(grid), gridScale(grid), offset];

function sparse(dense: Float64Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < dense.length; i++) if (dense[i] !== 0) out.push(i, dense[i]!);
  return out;
}

function addSparse(a: number[], b: number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i]! < b[j]!)) {
      out.push(a[i]!, a[i + 1]!);
      i += 2;
    } else if (i >= a.length || b[j]! < a[i]!) {
      out.push(b[j]!, b[j + 1]!);
      j += 2;
    } else {
      out.push(a[i]!, a[i + 1]! + b[j + 1]!);
      i += 2;
      j += 2;
    }
  }
  return out;
}

/** Merges two summaries of adjacent block runs, `left` first. Exact: counts add, block moments concatenate. */
export function mergeAdjacent(left: Summary, right: Summary): Summary {
  if (left.blockCount === 0) return right;
  if (right.blockCount === 0) return left;
  if (left.firstBlock + left.blockCount !== right.firstBlock) {
    throw new Error(`summaries are not adjacent: blocks ${left.firstBlock}+${left.blockCount} then ${right.firstBlock}`);
  }
  return {
    firstBlock: left.firstBlock,
    blockCount: left.blockCount + right.blockCount,
    paths: left.paths + right.paths,
    events: left.events.map((count, i) => count + right.events[i]!),
    blockMoments: left.blockMoments.map((blocks, i) => blocks.concat(right.blockMoments[i]!)),
    minimum: left.minimum.map((m, i) => Math.min(m, right.minimum[i]!)),
    maximum: left.maximum.map((m, i) => Math.max(m, right.maximum[i]!)),
    histograms: left.histograms.map((h, i) => addSparse(h, right.histograms[i]!)),
    fan: left.fan.map((h, i) => addSparse(h, right.fan[i]!)),
  };
}

/** Merges summaries given in any order into one, provided together they cover a contiguous run. */
export function mergeAll(summaries: Summary[], layout: Layout): Summary {
  const ordered = [...summaries].sort((a, b) => a.firstBlock - b.firstBlock);
  return ordered.reduce((acc, next) => mergeAdjacent(acc, next), emptySummary(layout, ordered[0]?.firstBlock ?? 0));
}

export interface Moments {
  n: number;
  mean: number;
  variance: number;
  /** Standard error of the mean. */
  standardError: number;
  min: number;
  max: number;
}

/** Folds per-block [n, mean, m2] in block order with Chan's pairwise update. */
export function foldMoments(blocks: number[][], min: number, max: number): Moments {
  let n = 0;
  let mean = 0;
  let m2 = 0;
  for (const [nb, meanb, m2b] of blocks) {
    if (nb === 0) continue;
    const total = n + nb!;
    const delta = meanb! - mean;
    mean += (delta * nb!) / total;
    m2 += m2b! + (delta * delta * n * nb!) / total;
    n = total;
  }
  const variance = n > 1 ? m2 / (n - 1) : 0;
  return { n, mean, variance, standardError: n > 0 ? Math.sqrt(variance / n) : 0, min, max };
}

export interface Probability {
  estimate: number;
  count: number;
  n: number;
  /** Wilson score interval at 95 %. */
  low: number;
  high: number;
  standardError: number;
}

/** Two-sided normal quantile for the 95 % intervals. */
const Z_95 = 1.959963984540054;

export function probability(count: number, n: number): Probability {
  if (n === 0) return { estimate: 0, count, n, low: 0, high: 1, standardError: 0 };
  const p = count / n;
  const z2 = Z_95 * Z_95;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (Z_95 * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  // At 0 or n the bound is exactly 0 or 1 (rounding would otherwise leave a hair's width).
  const low = count === 0 ? 0 : Math.max(0, centre - half);
  const high = count === n ? 1 : Math.min(1, centre + half);
  return { estimate: p, count, n, low, high, standardError: Math.sqrt((p * (1 - p)) / n) };
}

export interface Quantile {
  q: number;
  value: number;
  /** |value - true sample quantile| ≤ errorBound: one bin width inside the grid, else the distance to min/max. */
  errorBound: number;
}

/** The q-quantile of a sparse histogram on `grid`, interpolated inside its bin (geometrically on a log grid). */
export function quantile(histogram: number[], grid: Grid, n: number, q: number, min: number, max: number): Quantile {
  const target = q * n;
  let cumulative = 0;
  for (let i = 0; i < histogram.length; i += 2) {
    const bin = histogram[i]!;
    const count = histogram[i + 1]!;
    if (cumulative + count >= target) {
      if (bin === 0) return { q, value: Math.min(grid.lo, max), errorBound: Math.max(0, grid.lo - min) };
      if (bin === grid.bins + 1) return { q, value: Math.max(grid.hi, min), errorBound: Math.max(0, max - grid.hi) };
      const start = gridEdge(grid, bin - 1);
      const end = gridEdge(grid, bin);
      const share = (target - cumulative) / count;
      const inside = grid.log ? start * (end / start) ** share : start + (end - start) * share;
      return { q, value: Math.min(max, Math.max(min, inside)), errorBound: end - start };
    }
    cumulative += count;
  }
  return { q, value: max, errorBound: 0 };
}

/** Mean of the values at or below the q-quantile (the lower tail), from the histogram's bin midpoints. */
export function lowerTailMean(histogram: number[], grid: Grid, n: number, q: number, min: number): number {
  const target = Math.max(1, q * n);
  let taken = 0;
  let sum = 0;
  for (let i = 0; i < histogram.length && taken < target; i += 2) {
    const bin = histogram[i]!;
    const take = Math.min(histogram[i + 1]!, target - taken);
    const mid = bin === 0 ? (min + grid.lo) / 2 : bin === grid.bins + 1 ? grid.hi : (gridEdge(grid, bin - 1) + gridEdge(grid, bin)) / 2;
    sum += take * mid;
    taken += take;
  }
  return sum / taken;
}
