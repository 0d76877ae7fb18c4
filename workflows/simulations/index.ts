// Every workflow the simulations worker runs; the entry point of its own bundle. A bundle of these alone
// (not workflows/index.ts) keeps each batch's sandbox from evaluating the pools' and notifications' modules.
export { simulationBatch, simulationBatchPart } from './batch';
