// The products' contract sub-apps and where each is mounted. Each product (assessments, simulations, …)
// adds one entry here; app.ts mounts them under /v1 behind authentication, rate limits and
// idempotency, and GET /openapi.json documents them from the same definitions.
import type { MountedContract } from './contract';
import type { ApiDeps } from './deps';
import { notificationRoutes } from './notifications/routes';

export function productContracts(deps: ApiDeps): Array<MountedContract & { prefix: `/v1/${string}` }> {
  return [{ prefix: '/v1/notifications', app: notificationRoutes(deps) }];
}
