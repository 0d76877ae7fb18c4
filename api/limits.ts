// The API's fair-use limits in one place: per-subject rate limits, the per-address and global
// ceilings, the caps on open event streams, and how long a client may take to send its request.
// Defaults here; the API process reads overrides from its environment (config/env.ts fairUseEnv).
import type { z } from 'zod';
import type { fairUseEnv } from '../config/env';
import { DEFAULT_STREAM_CAPS, type StreamCaps } from './event-streams';
import { ADDRESS_CEILING, GLOBAL_CEILING, READ_LIMIT, WRITE_LIMIT, type RateLimit } from './rate-limit';

export interface ApiLimits {
  read: RateLimit;
  write: RateLimit;
  address: RateLimit;
  global: RateLimit;
  streams: StreamCaps;
  /** A request whose headers and body have not all arrived by then is answered 408 and its connection closed. */
  requestTimeoutMs: number;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

export const DEFAULT_API_LIMITS: ApiLimits = {
  read: READ_LIMIT,
  write: WRITE_LIMIT,
  address: ADDRESS_CEILING,
  global: GLOBAL_CEILING,
  streams: DEFAULT_STREAM_CAPS,
  requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
};

/** The defaults with whatever the environment sets. */
export function apiLimitsFromEnv(env: z.output<typeof fairUseEnv>): ApiLimits {
  const perMinute = (limit: RateLimit, requestsMax: number | undefined): RateLimit =>
    requestsMax === undefined ? limit : { ...limit, requestsMax, windowSeconds: 60 };
  return {
    read: perMinute(READ_LIMIT, env.RATE_LIMIT_READS_PER_MINUTE),
    write: perMinute(WRITE_LIMIT, env.RATE_LIMIT_WRITES_PER_MINUTE),
    address: perMinute(ADDRESS_CEILING, env.RATE_LIMIT_PER_ADDRESS_PER_MINUTE),
    global: perMinute(GLOBAL_CEILING, env.RATE_LIMIT_GLOBAL_PER_MINUTE),
    streams: {
      perSubjectMax: env.SSE_STREAMS_PER_SUBJECT_MAX ?? DEFAULT_STREAM_CAPS.perSubjectMax,
      perAddressMax: env.SSE_STREAMS_PER_ADDRESS_MAX ?? DEFAULT_STREAM_CAPS.perAddressMax,
      processMax: env.SSE_STREAMS_PER_PROCESS_MAX ?? DEFAULT_STREAM_CAPS.processMax,
    },
    requestTimeoutMs: env.REQUEST_TIMEOUT_MS ?? DEFAULT_REQUEST_TIMEOUT_MS,
  };
}
