// Every workflow the pools worker runs; this file is the worker bundle's entry point.
export { poolWorkflow } from './pools/pool';
export { contributionRound } from './pools/round';
export { poolRoundTrigger } from './pools/round-trigger';
export { plumbingProbe } from './core/probe';
export { platformFeeSweep } from './core/platform-fee-sweep';
export { reconciliationSweep } from './core/reconciliation-sweep';
export { simulationBatch, simulationBatchPart } from './simulations/batch';
export { managerDigest, poolNotices, webhookEndpoint } from './notifications';
