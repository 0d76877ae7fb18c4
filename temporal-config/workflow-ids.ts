// Workflow IDs are built from business identifiers, so they read well in the Web UI and so that starting
// the same thing twice is refused by Temporal instead of creating a duplicate. They carry no personal data.
const ID_PART = /^[A-Za-z0-9_-]{1,64}$/;

function part(label: string, value: string): string {
  if (!ID_PART.test(value)) throw new TypeError(`${label} must be 1-64 letters, digits, "_" or "-", got ${JSON.stringify(value)}`);
  return value;
}

export const workflowIds = {
  probe: (probeId: string) => `probe/${part('probeId', probeId)}`,
  pool: (poolId: string) => `pool/${part('poolId', poolId)}`,
  round: (poolId: string, round: number) => `pool/${part('poolId', poolId)}/round/${round}`,
  poolSchedule: (poolId: string) => `pool/${part('poolId', poolId)}/schedule`,
  /** Schedules append the firing time to this, so each firing has its own workflow ID. */
  roundTrigger: (poolId: string) => `pool/${part('poolId', poolId)}/round-due`,
  /** One prop-trading assessment, from the payment that bought it to its last phase. */
  assessment: (assessmentId: string) => `assessment/${part('assessmentId', assessmentId)}`,
  simulation: (batchId: string) => `simulation/${part('batchId', batchId)}`,
  /** A child workflow running one range of a large batch's chunks. */
  simulationPart: (batchId: string, part_: number) => `simulation/${part('batchId', batchId)}/part/${part_}`,
};
