// Decodes Stripe's form encoding (`metadata[k]=v`, `expand[0]=x`, `a[b][c]=d`) into nested values, reads
// typed fields out of them, and fingerprints them so the idempotency layer can compare two requests.
export type ParamValue = string | ParamValue[] | { [key: string]: ParamValue };
export type Params = { [key: string]: ParamValue };

/** Nesting deeper than this is not Stripe's encoding; it is cut off rather than followed. */
const paramDepthMax = 8;

export function decodeParams(search: URLSearchParams): Params {
  const root: Params = {};
  for (const [rawKey, value] of search) {
    assign(root, splitKey(rawKey).slice(0, paramDepthMax), value);
  }
  return normaliseArrays(root) as Params;
}

/** `a[b][]` → ['a', 'b', '']; a key without brackets is one segment. */
function splitKey(rawKey: string): string[] {
  const match = /^([^[\]]+)((?:\[[^\]]*\])*)$/.exec(rawKey);
  if (!match) return [rawKey];
  const rest = [...match[2]!.matchAll(/\[([^\]]*)\]/g)].map((m) => m[1]!);
  return [match[1]!, ...rest];
}

function assign(target: Params, segments: string[], value: string): void {
  let node = target;
  segments.forEach((segment, index) => {
    // `x[]` appends: the next free index among the keys seen so far.
    const key = segment === '' ? String(Object.keys(node).length) : segment;
    if (index === segments.length - 1) {
      node[key] = value;
      return;
    }
    const next = node[key];
    if (typeof next !== 'object' || Array.isArray(next)) node[key] = {};
    node = node[key] as Params;
  });
}

/** Objects whose keys are all indices (`expand[0]`, `expand[1]`) become arrays, in index order. */
function normaliseArrays(value: ParamValue): ParamValue {
  if (typeof value === 'string' || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  const children = Object.fromEntries(keys.map((key) => [key, normaliseArrays(value[key]!)]));
  if (keys.length > 0 && keys.every((key) => /^\d+$/.test(key))) {
    return keys.sort((a, b) => Number(a) - Number(b)).map((key) => children[key]!);
  }
  return children;
}

/** A canonical text form: equal parameters give equal fingerprints whatever their order on the wire. */
export function fingerprint(params: ParamValue): string {
  if (typeof params === 'string') return JSON.stringify(params);
  if (Array.isArray(params)) return `[${params.map(fingerprint).join(',')}]`;
  const keys = Object.keys(params).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${fingerprint(params[key]!)}`).join(',')}}`;
}

export function stringParam(params: Params, name: string): string | undefined {
  const value = params[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Integer parameters (amounts in minor units); stripe-mock has already checked that they parse. */
export function integerParam(params: Params, name: string): number | undefined {
  const value = stringParam(params, name);
  return value === undefined ? undefined : Number.parseInt(value, 10);
}

/** A `metadata`-style map; Stripe drops keys set to the empty string. */
export function mapParam(params: Params, name: string): Record<string, string> {
  const value = params[name];
  if (typeof value !== 'object' || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1] !== ''));
}

export function objectParam(params: Params, name: string): Params | undefined {
  const value = params[name];
  return typeof value === 'object' && !Array.isArray(value) ? value : undefined;
}

/**
 * The fields a Transfer and a PaymentIntent both take from their create request, read alike (Stripe
 * documents them alike on both): a required amount in minor units and currency (stripe-mock has already
 * refused a request without them), an optional description and transfer group, and the metadata.
 */
export function moneyMovementParams(params: Params) {
  return {
    amount: integerParam(params, 'amount')!,
    currency: stringParam(params, 'currency')!,
    description: stringParam(params, 'description') ?? null,
    metadata: mapParam(params, 'metadata'),
    transfer_group: stringParam(params, 'transfer_group') ?? null,
  };
}
