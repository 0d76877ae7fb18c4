// The codec server process: the shared codec with the configured keys behind the ops token, for the
// Web UI (`--ui-codec-endpoint`, TEMPORAL_CODEC_ENDPOINT) and `temporal … --codec-endpoint`.
import { serve } from '@hono/node-server';
import { codecServerEnv, loadEnv, payloadEncryptionEnv } from '../config/env';
import { createLogger } from '../observability/log';
import { keyringFromEnv } from '../temporal-config/data-converter';
import { AesGcmPayloadCodec } from '../temporal-config/payload-codec';
import { createCodecServer } from './app';

const env = loadEnv(codecServerEnv);
loadEnv(payloadEncryptionEnv);
const log = createLogger('codec-server');
const app = createCodecServer({
  codec: new AesGcmPayloadCodec(keyringFromEnv()),
  token: env.CODEC_SERVER_TOKEN,
  allowedOrigins: env.CODEC_SERVER_ALLOWED_ORIGINS,
  log: (msg, fields) => log.info(msg, fields),
});
const server = serve({ fetch: app.fetch, port: env.CODEC_SERVER_PORT, hostname: env.CODEC_SERVER_HOST }, (info) =>
  log.info('codec server listening', { port: info.port, origins: env.CODEC_SERVER_ALLOWED_ORIGINS }),
);
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => server.close(() => process.exit(0)));
