// The per-request values the middleware sets for the handlers of authenticated routes.
import type { Principal } from './auth';

export interface AppEnv {
  Variables: {
    principal: Principal;
    /** The request's Idempotency-Key (POST only). */
    idempotencyKey: string | undefined;
    /** The key scoped to caller, route and body (api/idempotency.ts): the Temporal update or request ID. */
    commandId: string | undefined;
    requestId: string;
  };
}
