// Every workflow the pools worker runs; this file is the worker bundle's entry point.
export { plumbingProbe } from './probe';
