// The per-request values the middleware sets for the handlers of authenticated routes.
import type { Principal } from './auth';

export interface AppEnv {
  Variables: {
    principal: Principal;
    /** The request's Idempotency-Key (POST only); also the Temporal update ID, so Temporal de-duplicates too. */
    idempotencyKey: string | undefined;
    requestId: string;
  };
}
