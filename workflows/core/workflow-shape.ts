// Versioning by shape: a run of the current shape records one patch marker (and the search-attribute
// upsert Temporal pairs with it) instead of one for every change it takes, which in a round of five
// members was a quarter of its history. Runs recorded before a shape existed replay as they ran.
import { patched } from '@temporalio/workflow';

export interface WorkflowShape {
  /** This run has the current shape: every change listed under its patch, and what only it does. */
  readonly current: boolean;
  /** Whether this run has the shape marked by `shapePatch` (one of those it was declared with) or a newer one. */
  has(shapePatch: string): boolean;
  /** Whether this run takes the change marked by `patch`: always in a shape, else as recorded. */
  since(patch: string): boolean;
}

/**
 * Call first in the workflow, before any other patched(), with the shape patches newest first. A later
 * change gets a new shape patch in front, which implies the older shapes' changes too: a new run records
 * only the newest marker, and a recorded run finds the one it recorded.
 */
export function workflowShape(currentShapePatch: string, ...olderShapePatches: string[]): WorkflowShape {
  const shapes = [currentShapePatch, ...olderShapePatches];
  // Stops at the first shape taken, so a run never records a marker beside its own shape's.
  const taken = shapes.findIndex((shape) => patched(shape));
  return {
    current: taken === 0,
    has: (shapePatch) => {
      const index = shapes.indexOf(shapePatch);
      if (index < 0) throw new Error(`${shapePatch} is not a shape this workflow was declared with`);
      return taken >= 0 && taken <= index;
    },
    since: (patch) => taken >= 0 || patched(patch),
  };
}

/**
 * The shape of a run whose starter chose it and passed it in the run's input (as a pool does for its
 * rounds): the input decides, so the run calls no patched() at all. A later change to such a workflow
 * gets a new value in that input rather than a patch.
 */
export const givenShape: WorkflowShape = { current: true, has: () => true, since: () => true };
