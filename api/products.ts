// The products' contract sub-apps and where each is mounted. Each product (assessments, simulations, …)
// adds one entry here; app.ts mounts them under /v1 behind authentication, rate limits and
// idempotency, and GET /openapi.json documents them from the same definitions.
import { assessmentRoutes } from './assessments/assessments';
import { assessmentEventRoutes } from './assessments/events';
import { leaderboardRoutes } from './assessments/leaderboards';
import { tierRoutes } from './assessments/tiers';
import { traderRoutes } from './assessments/traders';
import type { MountedContract } from './contract';
import type { ApiDeps } from './deps';
import { notificationRoutes } from './notifications/routes';
import { simulationRoutes } from './simulations/routes';

type ContractRoutes = (deps: ApiDeps) => MountedContract['app'];

/** Each product's sub-apps under their mount prefixes (one prefix may hold several sub-apps). */
const PRODUCTS: Array<[`/v1/${string}`, ContractRoutes]> = [
  ['/v1/assessment-tiers', tierRoutes],
  ['/v1/assessments', assessmentRoutes],
  ['/v1/assessments', assessmentEventRoutes],
  ['/v1/assessment-leaderboards', leaderboardRoutes],
  ['/v1/traders', traderRoutes],
  ['/v1/simulations', simulationRoutes],
  ['/v1/notifications', notificationRoutes],
];

/** Where the products' routes live; everything else under /v1 is the pools API. */
export const PRODUCT_PREFIXES = [...new Set(PRODUCTS.map(([prefix]) => prefix))];

export function productContracts(deps: ApiDeps): Array<MountedContract & { prefix: `/v1/${string}` }> {
  return PRODUCTS.map(([prefix, routes]) => ({ prefix, app: routes(deps) }));
}
