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
import { simulationRoutes } from './simulations/routes';

export function productContracts(deps: ApiDeps): Array<MountedContract & { prefix: `/v1/${string}` }> {
  return [
    { prefix: '/v1/assessment-tiers', app: tierRoutes(deps) },
    { prefix: '/v1/assessments', app: assessmentRoutes(deps) },
    { prefix: '/v1/assessments', app: assessmentEventRoutes(deps) },
    { prefix: '/v1/assessment-leaderboards', app: leaderboardRoutes(deps) },
    { prefix: '/v1/traders', app: traderRoutes(deps) },
    { prefix: '/v1/simulations', app: simulationRoutes(deps) },
  ];
}
