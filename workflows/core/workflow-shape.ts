// Versioning by shape: a run of the current shape records one patch marker (and the search-attribute
// upsert Temporal pairs with it) instead of one for every change it takes, which in a round of five
// members was a quarter of its history. Runs recorded before the shape existed replay as they ran.
import { patched } from '@temporalio/workflow';

export interface WorkflowShape {
  /** This run has the current shape: every change listed under its patch, and what only it does. */
  readonly current: boolean;
  /** Whether this run takes the change marked by `patch`: always in the current shape, else as recorded. */
  since(patch: string): boolean;
}

/**
 * Call first in the workflow, before any other patched(). A later change gets a new shape patch, which
 * then implies this one's changes too (an older shape's patch is asked through `since`).
 */
export function workflowShape(currentShapePatch: string): WorkflowShape {
  const current = patched(currentShapePatch);
  return { current, since: (patch) => current || patched(patch) };
}
