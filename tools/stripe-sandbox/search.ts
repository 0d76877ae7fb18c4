// A subset of Stripe's search query language: clauses `field:'value'` and `metadata['key']:'value'`
// (exact match, case-insensitive, as on Stripe) joined by AND. Anything else is refused with a 400
// rather than half-understood.
import { invalidRequest } from './errors';

export interface SearchClause {
  field: string;
  /** Set for `metadata['key']` clauses. */
  metadataKey?: string;
  value: string;
}

/** Clauses one query may hold; Stripe's own limit is of the same order. */
export const searchClausesMax = 10;

export function parseSearchQuery(query: string, fields: readonly string[]): SearchClause[] {
  const clauses: SearchClause[] = [];
  let rest = query.trim();
  const fail = (why: string) => invalidRequest(`Invalid search query '${query}': ${why}.`, { param: 'query' });
  if (rest === '') throw fail('it is empty');
  while (rest !== '') {
    if (clauses.length === searchClausesMax) throw fail(`more than ${searchClausesMax} clauses`);
    let field: string;
    let metadataKey: string | undefined;
    const metadata = /^metadata\[(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\]/.exec(rest);
    const plain = /^[a-z_]+/.exec(rest);
    if (metadata) {
      field = 'metadata';
      metadataKey = unescape(metadata[1] ?? metadata[2]!);
      rest = rest.slice(metadata[0].length);
    } else if (plain) {
      field = plain[0];
      if (!fields.includes(field)) throw fail(`the sandbox cannot search by '${field}' (it can by ${[...fields, "metadata['key']"].join(', ')})`);
      rest = rest.slice(field.length);
    } else {
      throw fail(`expected a field at '${rest}'`);
    }
    if (!rest.startsWith(':')) throw fail(`only the ':' (exact match) operator is supported, at '${rest}'`);
    rest = rest.slice(1);
    const value = /^(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|(-?\d+))/.exec(rest);
    if (!value) throw fail(`expected a quoted value or a number at '${rest}'`);
    clauses.push({ field, ...(metadataKey === undefined ? {} : { metadataKey }), value: unescape(value[1] ?? value[2] ?? value[3]!) });
    rest = rest.slice(value[0].length).trimStart();
    if (rest === '') break;
    const joiner = /^(AND|OR)\s+/i.exec(rest);
    if (!joiner) throw fail(`expected AND at '${rest}'`);
    if (joiner[1]!.toUpperCase() === 'OR') throw fail('the sandbox supports AND only');
    rest = rest.slice(joiner[0].length);
  }
  return clauses;
}

export function matchesSearch(object: object, clauses: readonly SearchClause[]): boolean {
  const fields = object as Record<string, unknown>;
  return clauses.every((clause) => {
    const actual =
      clause.metadataKey === undefined ? fields[clause.field] : (fields.metadata as Record<string, unknown> | null | undefined)?.[clause.metadataKey];
    if (typeof actual !== 'string' && typeof actual !== 'number') return false;
    return String(actual).toLowerCase() === clause.value.toLowerCase();
  });
}

function unescape(text: string): string {
  return text.replace(/\\(.)/g, '$1');
}
