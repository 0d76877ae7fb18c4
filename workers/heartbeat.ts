// Activities with a heartbeat timeout heartbeat on their own while they run, so that a worker killed in
// the middle of one is noticed within that timeout (and the activity retried elsewhere) rather than
// after its whole start-to-close timeout. A hung call is still bounded by its client's own timeout.
import type { ActivityInterceptorsFactory } from '@temporalio/worker';

/** Heartbeats go out this many times per heartbeat timeout (the SDK throttles what it sends on). */
const HEARTBEATS_PER_TIMEOUT = 4;

export const heartbeatWhileRunning: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    async execute(input, next) {
      const timeoutMs = ctx.info.heartbeatTimeoutMs;
      if (!timeoutMs) return next(input);
      ctx.heartbeat();
      const timer = setInterval(() => ctx.heartbeat(), Math.max(1, Math.floor(timeoutMs / HEARTBEATS_PER_TIMEOUT)));
      try {
        return await next(input);
      } finally {
        clearInterval(timer);
      }
    },
  },
});
