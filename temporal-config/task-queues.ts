// Task queue names: one worker process per queue, so heavy simulation work never delays pool rounds.
export const TASK_QUEUES = {
  pools: 'poolflow-pools',
  payments: 'poolflow-payments',
  simulations: 'poolflow-simulations',
  assessments: 'poolflow-assessments',
} as const;
