// Registers Poolflow's search attributes on a namespace through the operator service. Idempotent: only
// missing attributes are added, and one that exists with another type is reported, not overwritten.
import type { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import proto from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from './search-attributes';

// @temporalio/proto is CommonJS: its namespaces come through the default export at run time.
const IndexedValueType = proto.temporal.api.enums.v1.IndexedValueType;
const INDEXED_TYPES: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  [SearchAttributeType.KEYWORD]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [SearchAttributeType.TEXT]: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  [SearchAttributeType.INT]: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  [SearchAttributeType.DOUBLE]: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  [SearchAttributeType.BOOL]: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  [SearchAttributeType.DATETIME]: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  [SearchAttributeType.KEYWORD_LIST]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/** Thrown when a namespace already has one of our attribute names with a different type. */
export class SearchAttributeConflictError extends Error {}

/** Adds the missing attributes; returns the names it added. */
export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const custom = existing.customAttributes ?? {};
  const missing: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
  for (const attribute of SEARCH_ATTRIBUTES) {
    const wanted = INDEXED_TYPES[attribute.type]!;
    const present = custom[attribute.name];
    if (present === undefined || present === null) missing[attribute.name] = wanted;
    else if (present !== wanted) {
      throw new SearchAttributeConflictError(
        `search attribute ${attribute.name} exists in namespace ${namespace} with type ${IndexedValueType[present]}, expected ${IndexedValueType[wanted]}`,
      );
    }
  }
  const names = Object.keys(missing);
  if (names.length > 0) await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  return names;
}
