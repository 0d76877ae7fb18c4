// The one data converter of every Poolflow Temporal client and worker — API, workers, scripts, bench
// and test harnesses — so that whatever one of them writes, any other can read: payloads encrypted by
// the AES-256-GCM codec under the configured keys, failures with their messages encoded too.
import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import { parseEnv, payloadEncryptionEnv } from '../config/env';
import { AesGcmPayloadCodec, developmentKeyring, parseKeyring, type PayloadKeyring } from './payload-codec';

/** Loaded by path inside the workflow sandbox (and bundled with the workflow code). */
export const FAILURE_CONVERTER_PATH = fileURLToPath(new URL('./failure-converter.ts', import.meta.url));

/** The keys from the environment (config/env.ts): configured keys, or the development key in development. */
export function keyringFromEnv(source: NodeJS.ProcessEnv = process.env): PayloadKeyring {
  const env = parseEnv(payloadEncryptionEnv, source);
  return env.PAYLOAD_ENCRYPTION_KEYS ? parseKeyring(env.PAYLOAD_ENCRYPTION_KEYS, env.PAYLOAD_ENCRYPTION_KEY_ID) : developmentKeyring();
}

export interface DataConverterOptions {
  /** Keys to use instead of the environment's (tests of rotation). */
  keyring?: PayloadKeyring;
  /** Off only for the benchmark's baseline, which measures what encryption costs. */
  encryption?: boolean;
}

let fromEnv: DataConverter | undefined;

/** The data converter for clients and workers; built once per process from the environment. */
export function poolflowDataConverter(options: DataConverterOptions = {}): DataConverter {
  if (!options.keyring && options.encryption !== false) {
    fromEnv ??= build(keyringFromEnv());
    return fromEnv;
  }
  return build(options.encryption === false ? undefined : options.keyring);
}

function build(keyring: PayloadKeyring | undefined): DataConverter {
  return {
    failureConverterPath: FAILURE_CONVERTER_PATH,
    ...(keyring ? { payloadCodecs: [new AesGcmPayloadCodec(keyring)] } : {}),
  };
}
