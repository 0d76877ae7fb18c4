// Outages of what the API depends on become 503 with Retry-After, not 500: the database refusing or
// dropping connections, or Temporal's frontend unreachable. A client (or load balancer) then knows to
// try again shortly, and with the same Idempotency-Key a retried command acts at most once.
import { isGrpcServiceError } from '@temporalio/client';
import { ProblemError } from './problem';

/** What a client is told to wait before retrying during an outage. */
export const OUTAGE_RETRY_AFTER_SECONDS = 5;

/** Node's socket errors and PostgreSQL's SQLSTATEs for a server that is gone, starting or shutting down. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  '08000',
  '08001',
  '08003',
  '08006',
]);
/** node-postgres reports a lost connection and a full pool in words rather than codes. */
const UNAVAILABLE_MESSAGES = [/Connection terminated/i, /timeout exceeded when trying to connect/i, /Client has encountered a connection error/i];
/** gRPC UNAVAILABLE and DEADLINE_EXCEEDED. */
const GRPC_UNAVAILABLE = new Set([14, 4]);

function dependencyDown(error: unknown, depth = 0): string | null {
  if (!error || typeof error !== 'object' || depth > 4) return null;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (isGrpcServiceError(error) && GRPC_UNAVAILABLE.has(error.code)) return 'the workflow service';
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return 'the database';
  if (typeof message === 'string' && UNAVAILABLE_MESSAGES.some((m) => m.test(message))) return 'the database';
  if (error instanceof AggregateError) for (const inner of error.errors) if (dependencyDown(inner, depth + 1)) return dependencyDown(inner, depth + 1);
  return dependencyDown((error as { cause?: unknown }).cause, depth + 1);
}

/** The 503 for an error that means a dependency is down, or undefined. */
export function unavailableProblem(error: unknown): ProblemError | undefined {
  const what = dependencyDown(error);
  if (!what) return undefined;
  return new ProblemError(503, 'Service Unavailable', `${what} is unavailable; try again shortly`, undefined, {
    'retry-after': String(OUTAGE_RETRY_AFTER_SECONDS),
  });
}
