// Every workflow the pools worker runs; this file is the worker bundle's entry point.
export { poolWorkflow } from './pool';
export { contributionRound } from './round';
export { poolRoundTrigger } from './round-trigger';
export { plumbingProbe } from './probe';
export { platformFeeSweep } from './core/platform-fee-sweep';
