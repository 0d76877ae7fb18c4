// Stripe's `expand[]`: ids of stored objects at the given paths (`latest_charge`,
// `latest_charge.payment_intent`, `data.customer` in lists) are replaced by the objects themselves.
import type { SandboxState } from './state';

/** Stripe's own limit on how deep one expansion path may go. */
export const expandDepthMax = 4;

/** A copy of `body` with the paths expanded; ids the sandbox does not hold stay ids. */
export function expandResponse(body: unknown, paths: readonly string[], state: SandboxState, secretKey: string): unknown {
  const copy = structuredClone(body);
  for (const path of paths) expandPath(copy, path.split('.').slice(0, expandDepthMax), state, secretKey);
  return copy;
}

function expandPath(node: unknown, segments: string[], state: SandboxState, secretKey: string): void {
  const [head, ...rest] = segments;
  if (head === undefined || typeof node !== 'object' || node === null) return;
  const record = node as Record<string, unknown>;
  let value = record[head];
  if (typeof value === 'string') {
    const stored = state.any(value);
    if (!stored || stored.secretKey !== secretKey) return;
    value = structuredClone(stored.body);
    record[head] = value;
  }
  if (rest.length === 0) return;
  if (Array.isArray(value)) for (const item of value) expandPath(item, rest, state, secretKey);
  else expandPath(value, rest, state, secretKey);
}
