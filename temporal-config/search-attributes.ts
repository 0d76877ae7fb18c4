// The custom search attributes Poolflow keeps on its workflows: the one list used to start the dev
// server, to register them on a namespace, and by the workflows that upsert them. Never personal data:
// Temporal does not encrypt search attributes.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const PoolIdAttribute = defineSearchAttributeKey('PoolId', SearchAttributeType.KEYWORD);
export const PoolKindAttribute = defineSearchAttributeKey('PoolKind', SearchAttributeType.KEYWORD);
export const PoolStatusAttribute = defineSearchAttributeKey('PoolStatus', SearchAttributeType.KEYWORD);
export const PoolManagerAttribute = defineSearchAttributeKey('PoolManager', SearchAttributeType.KEYWORD);
export const PoolRoundAttribute = defineSearchAttributeKey('PoolRound', SearchAttributeType.INT);
/** Set while a pool waits for operations (`round-3-failed`), empty otherwise: `PoolEscalation != ''` lists them. */
export const PoolEscalationAttribute = defineSearchAttributeKey('PoolEscalation', SearchAttributeType.KEYWORD);

/** Simulation batches: which model, and running / completed / failed / cancelled. */
export const SimulationModelAttribute = defineSearchAttributeKey('SimulationModel', SearchAttributeType.KEYWORD);
export const SimulationStatusAttribute = defineSearchAttributeKey('SimulationStatus', SearchAttributeType.KEYWORD);

export const AssessmentStatusAttribute = defineSearchAttributeKey('AssessmentStatus', SearchAttributeType.KEYWORD);
export const AssessmentPhaseAttribute = defineSearchAttributeKey('AssessmentPhase', SearchAttributeType.KEYWORD);
export const AssessmentTierAttribute = defineSearchAttributeKey('AssessmentTier', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [
  PoolIdAttribute,
  PoolKindAttribute,
  PoolStatusAttribute,
  PoolManagerAttribute,
  PoolRoundAttribute,
  PoolEscalationAttribute,
  AssessmentStatusAttribute,
  AssessmentPhaseAttribute,
  AssessmentTierAttribute,
  SimulationModelAttribute,
  SimulationStatusAttribute,
] as const;

/** The Temporal CLI's spelling of each type, for `--search-attribute Name=Type`. */
export const CLI_TYPE_NAMES: Record<string, string> = {
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.TEXT]: 'Text',
  [SearchAttributeType.INT]: 'Int',
  [SearchAttributeType.DOUBLE]: 'Double',
  [SearchAttributeType.BOOL]: 'Bool',
  [SearchAttributeType.DATETIME]: 'Datetime',
  [SearchAttributeType.KEYWORD_LIST]: 'KeywordList',
};
