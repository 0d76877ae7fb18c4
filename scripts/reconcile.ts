// `npm run reconcile -- --pool <poolId> [--json] [--deliver]`: compares what the database recorded for a
// pool with what Stripe reports and prints every mismatch. Exits 0 when everything agrees, 1 when there
// are mismatches, 64 on bad usage. It changes nothing, except that with --deliver it first sends the
// pool's workflows the webhook signals still owed to them (the same signals, de-duplicated by the
// workflows), so an "undelivered signal" is repaired rather than only listed.
import { poolflowDataConverter } from '../temporal-config/data-converter';
import { parseArgs } from 'node:util';
import { createReconciliationActivities, type Mismatch } from '../activities/core/reconciliation';
import { Client, Connection } from '@temporalio/client';
import { databaseEnv, loadEnv, stripeEnv, temporalEnv } from '../config/env';
import { createLogger } from '../observability/log';
import { createWebhookRouter } from '../payments/webhook-router';
import { createDbPool } from '../db/pool';
import { createStripe } from '../payments/stripe-client';
import { loadDevStackEnv } from './dev-stack-env';

const USAGE = 'usage: npm run reconcile -- --pool <poolId> [--json] [--deliver]';

let args: { pool?: string; json?: boolean; deliver?: boolean };
try {
  args = parseArgs({
    options: { pool: { type: 'string' }, json: { type: 'boolean', default: false }, deliver: { type: 'boolean', default: false } },
    strict: true,
  }).values;
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
  if (args.deliver) {
    const temporalConfig = loadEnv(temporalEnv);
    const connection = await Connection.connect({ address: temporalConfig.TEMPORAL_ADDRESS, connectTimeout: '10s' });
    try {
      const router = createWebhookRouter({
        db,
        stripe,
        temporal: new Client({ connection, namespace: temporalConfig.TEMPORAL_NAMESPACE, dataConverter: poolflowDataConverter() }),
        log: createLogger('reconcile'),
      });
      const { attempted, delivered } = await router.redeliverPending({ poolId: args.pool });
      console.error(`signals owed: ${attempted}, delivered: ${delivered}`);
    } finally {
      await connection.close();
    }
  }
  const report = await createReconciliationActivities({ stripe, db }).reconcilePool({ poolId: args.pool });
  if (args.json) {
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  } else {
    const { paymentIntents, transfers, refunds, stripeObjects } = report.checked;
    console.log(
      `pool ${report.poolId}: ${paymentIntents} payment intents, ${transfers} transfers, ${refunds} refunds recorded; ${stripeObjects} Stripe objects read`,
    );
    console.log(report.mismatches.length === 0 ? 'no mismatches' : `${report.mismatches.length} mismatches:\n${report.mismatches.map(describe).join('\n')}`);
  }
  process.exitCode = report.mismatches.length === 0 ? 0 : 1;
} finally {
  await db.end();
}
