// Every workflow the assessments worker runs; this file is that worker bundle's entry point.
export { assessmentWorkflow } from './assessment';
