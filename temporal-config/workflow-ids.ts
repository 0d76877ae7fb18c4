// The identifier patterns every business ID is held to (pools, members, rounds' parts of Stripe and
// ledger keys: domain/core/idempotency-keys.ts, activities/pools/pool-ledger.ts), declared once, and every
// workflow ID of every product. Workflow IDs are built from business identifiers, so they read well in
// the Web UI and so that starting the same thing twice is refused by Temporal instead of creating a
// duplicate. They carry no personal data.

/** A business identifier (pool, member, assessment, batch …): 1-64 letters, digits, "_" or "-". */
export const ID_PART_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** Identifiers we mint ourselves as random UUIDs (webhook endpoints). */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function part(label: string, value: string, pattern = ID_PART_PATTERN): string {
  if (!pattern.test(value))
    throw new TypeError(`${label} must be ${pattern === UUID_PATTERN ? 'a UUID' : '1-64 letters, digits, "_" or "-"'}, got ${JSON.stringify(value)}`);
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
  /** Notifications: one per pool, deriving its notices, sending its reminders and delivering both in order. */
  poolNotices: (poolId: string) => `pool/${part('poolId', poolId)}/notices`,
  /** Notifications: one per webhook endpoint, delivering its queue one event at a time, in order of creation. */
  webhookEndpoint: (endpointId: string) => `webhook-endpoint/${part('endpointId', endpointId, UUID_PATTERN)}`,
  /** Notifications: one per manager, the daily digest of their pools' arrears and escalations. */
  managerDigest: (managerId: string) => `manager/${part('managerId', managerId)}/digest`,
};
