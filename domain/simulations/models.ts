// The simulation models by name: the one list the API validates against and the workers run.
import { assessmentModel } from './assessment';
import { investmentModel } from './investment';
import type { SimulationModel } from './model';
import { poolShortfallModel } from './pool-shortfall';

export const MODEL_NAMES = ['pool-shortfall', 'investment', 'assessment'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export const MODELS: Record<ModelName, SimulationModel<never>> = {
  'pool-shortfall': poolShortfallModel as SimulationModel<never>,
  investment: investmentModel as SimulationModel<never>,
  assessment: assessmentModel as SimulationModel<never>,
};
