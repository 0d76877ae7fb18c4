// Registers the search attributes on TEMPORAL_NAMESPACE at TEMPORAL_ADDRESS (run by the stack scripts).
import { Connection } from '@temporalio/client';
import { loadEnv, temporalEnv } from '../config/env';
import { registerSearchAttributes } from './register';

const env = loadEnv(temporalEnv);
const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS, connectTimeout: '10s' });
try {
  const added = await registerSearchAttributes(connection, env.TEMPORAL_NAMESPACE);
  console.error(`[poolflow] search attributes: ${added.length ? `registered ${added.join(', ')}` : 'all present'}`);
} finally {
  await connection.close();
}
