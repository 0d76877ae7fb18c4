// What every simulation model provides: a validated parameter schema, the layout of what one path
// reports, a path function that writes into preallocated typed arrays, and the model's own reading of
// the merged statistics.
import type { z } from 'zod';
import type { Layout, Summary } from './statistics';
import type { PathStream } from './stream';

/** Where a path function writes its outputs (the block accumulator's arrays, reused for every path). */
export interface PathOutput {
  scalars: Float64Array;
  eventFlags: Uint8Array;
  fanValues: Float64Array;
}

/** Simulates one path from the stream already pointed at it. Must not allocate. */
export type PathFunction = (stream: PathStream, out: PathOutput) => void;

export interface SimulationModel<P> {
  name: string;
  schema: z.ZodType<P>;
  layout(params: P): Layout;
  /** Random steps in one path, for the path-steps budget and progress. */
  stepsPerPath(params: P): number;
  /** Builds the path function with its scratch space allocated once. */
  pathFunction(params: P): PathFunction;
  /** The model's findings from the merged statistics (JSON-safe). */
  report(params: P, merged: Summary): Record<string, unknown>;
}
