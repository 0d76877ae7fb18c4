// `npm run reconcile -- --pool <poolId> [--json]`: compares what the database recorded for a pool
// with what Stripe reports and prints every mismatch. Exits 0 when everything agrees, 1 when there are
// mismatches, 64 on bad usage; it never changes anything.
import { parseArgs } from 'node:util';
import { createReconciliationActivities, type Mismatch } from '../activities/reconciliation';
import { databaseEnv, loadEnv, stripeEnv } from '../config/env';
import { createDbPool } from '../db/pool';
import { createStripe } from '../payments/stripe-client';
import { loadDevStackEnv } from './dev-stack-env';

const USAGE = 'usage: npm run reconcile -- --pool <poolId> [--json]';

let args: { pool?: string; json?: boolean };
try {
  args = parseArgs({ options: { pool: { type: 'string' }, json: { type: 'boolean', default: false } }, strict: true }).values;
} catch (error) {
  console.error(`${(error as Error).message}\n${USAGE}`);
  process.exit(64);
}
if (!args.pool) {
  console.error(USAGE);
  process.exit(64);
}

loadDevStackEnv();
const env = loadEnv(databaseEnv.extend(stripeEnv.shape));
const db = createDbPool(env.DATABASE_URL, { connectionsMax: 2, applicationName: 'poolflow-reconcile' });
const stripe = createStripe(env);

const describe = (m: Mismatch) =>
  `  ${m.kind} ${m.objectId ?? '-'} ${m.problem}${m.idempotencyKey ? ` [${m.idempotencyKey}]` : ''}: ours=${m.ours ?? '∅'} stripe=${m.stripe ?? '∅'}`;

try {
  const report = await createReconciliationActivities({ stripe, db }).reconcilePool({ poolId: args.pool });
  if (args.json) {
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  } else {
    const { paymentIntents, transfers, refunds, stripeObjects } = report.checked;
    console.log(`pool ${report.poolId}: ${paymentIntents} payment intents, ${transfers} transfers, ${refunds} refunds recorded; ${stripeObjects} Stripe objects read`);
    console.log(report.mismatches.length === 0 ? 'no mismatches' : `${report.mismatches.length} mismatches:\n${report.mismatches.map(describe).join('\n')}`);
  }
  process.exitCode = report.mismatches.length === 0 ? 0 : 1;
} finally {
  await db.end();
}
