// The problem an error stands for, when the API knows what it means: the one mapping the error handler
// answers with and the audit trail records, so that both always name the same status.
import { HTTPException } from 'hono/http-exception';
import { memberProblem } from './payment-details';
import { ProblemError } from './problem';
import { temporalProblem } from './temporal-errors';
import { unavailableProblem } from './unavailable';

/** The problem for `error`, or undefined for an error nobody explained (a 500, and a bug to log). */
export function knownProblem(error: unknown): ProblemError | undefined {
  if (error instanceof ProblemError) return error;
  const explained = temporalProblem(error) ?? memberProblem(error) ?? unavailableProblem(error);
  if (explained) return explained;
  if (error instanceof HTTPException) return new ProblemError(error.status, error.message || 'HTTP error');
  return undefined;
}
