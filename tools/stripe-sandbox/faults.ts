// Fault injection: the next N requests matching (method, path prefix, idempotency key, secret key) are
// answered with a 429, a 500, a custom Stripe error, a slow response, a hang or a dropped connection —
// either before anything happens, or after the effect was performed and saved ("Stripe did it, but the
// caller never heard").
import { z } from 'zod';
import { newId } from './state';

/** How many requests one fault may catch. */
export const faultTimesMax = 1_000;
/** The longest a request may be held open or slowed down. */
export const faultHoldMsMax = 300_000;

const injectedErrorSchema = z.object({
  type: z.enum(['api_error', 'card_error', 'idempotency_error', 'invalid_request_error']),
  message: z.string().min(1),
  code: z.string().optional(),
  decline_code: z.string().optional(),
  param: z.string().optional(),
});

export const faultSpecSchema = z
  .object({
    /**
     * rate_limit: 429 rate_limit error. api_error: 500 api_error. error: `status` with `error` as body.
     * hang: no answer until the client gives up (or `holdMs` passes, then the connection is dropped).
     * drop: the connection is closed without an answer. latency: the request is held `holdMs` after its
     * idempotency key was claimed and before its effect, so a concurrent retry sees it in progress.
     */
    kind: z.enum(['rate_limit', 'api_error', 'error', 'hang', 'drop', 'latency']),
    /** before: nothing is performed or saved. after: the effect happens and its response is saved first. */
    when: z.enum(['before', 'after']).default('before'),
    method: z
      .string()
      .transform((method) => method.toUpperCase())
      .optional(),
    pathPrefix: z.string().startsWith('/').optional(),
    idempotencyKey: z.string().min(1).optional(),
    secretKey: z.string().min(1).optional(),
    times: z.number().int().min(1).max(faultTimesMax).default(1),
    holdMs: z.number().int().min(1).max(faultHoldMsMax).default(30_000),
    status: z.number().int().min(400).max(599).optional(),
    error: injectedErrorSchema.optional(),
    /** rate_limit only: the Retry-After header (seconds) sent with the 429. */
    retryAfterSeconds: z.number().int().min(0).max(3_600).optional(),
  })
  .superRefine((spec, ctx) => {
    if (spec.kind === 'error' && (spec.status === undefined || spec.error === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'an error fault needs `status` and `error`', path: ['error'] });
    }
    if ((spec.kind === 'rate_limit' || spec.kind === 'error') && spec.when === 'after') {
      ctx.addIssue({ code: 'custom', message: `a ${spec.kind} fault answers before the request runs: use when "before"`, path: ['when'] });
    }
  });
export type FaultSpec = z.input<typeof faultSpecSchema>;
type ParsedFaultSpec = z.output<typeof faultSpecSchema>;

export interface Fault extends ParsedFaultSpec {
  id: string;
  /** Requests it will still catch. */
  remaining: number;
}

/** before: ahead of validation. effect: between the idempotency claim and the effect. after: once saved. */
export type FaultPhase = 'before' | 'effect' | 'after';

export interface FaultTarget {
  method: string;
  path: string;
  idempotencyKey: string | undefined;
  secretKey: string;
}

export class FaultTable {
  private faults: Fault[] = [];

  add(spec: ParsedFaultSpec): Fault {
    const fault: Fault = { ...spec, id: newId('fault'), remaining: spec.times };
    this.faults.push(fault);
    return fault;
  }

  list(): Fault[] {
    return this.faults.map((fault) => ({ ...fault }));
  }

  remove(id: string): boolean {
    const before = this.faults.length;
    this.faults = this.faults.filter((fault) => fault.id !== id);
    return this.faults.length < before;
  }

  clear(): void {
    this.faults = [];
  }

  /** The first fault for this phase that matches the request, counted as used; faults used up are removed. */
  take(phase: FaultPhase, target: FaultTarget): Fault | undefined {
    const fault = this.faults.find((candidate) => phaseOf(candidate) === phase && matches(candidate, target));
    if (!fault) return undefined;
    fault.remaining--;
    if (fault.remaining === 0) this.faults = this.faults.filter((candidate) => candidate !== fault);
    return { ...fault };
  }
}

function phaseOf(fault: Fault): FaultPhase {
  return fault.kind === 'latency' ? 'effect' : fault.when;
}

function matches(fault: Fault, target: FaultTarget): boolean {
  return (
    (fault.method === undefined || fault.method === target.method) &&
    (fault.pathPrefix === undefined || target.path.startsWith(fault.pathPrefix)) &&
    (fault.idempotencyKey === undefined || fault.idempotencyKey === target.idempotencyKey) &&
    (fault.secretKey === undefined || fault.secretKey === target.secretKey)
  );
}
