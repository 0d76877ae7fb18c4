// The per-request values the middleware sets for the handlers of authenticated routes.
import type { Principal } from './auth';
import type { EarlyDraw } from './rate-limit';

export interface AppEnv {
  Variables: {
    principal: Principal;
    /** The request's Idempotency-Key (POST only). */
    idempotencyKey: string | undefined;
    /** The key scoped to caller, route and body (api/idempotency.ts): the Temporal update or request ID. */
    commandId: string | undefined;
    requestId: string;
    /** The caller's own rate-limit draw, when it was taken along with the ceilings (api/rate-limit.ts). */
    earlyDraw: EarlyDraw | undefined;
  };
}
