// The execution layer's public surface: what `src/index.ts` re-exports and what
// other parts of lockstep (the config command line, the CLI) import. See README.md here.
export { executeExperiment } from './dispatch.ts';
export { insideWorker } from './insideWorker.ts';
export type { ProgressOption, ProgressSink, ProgressState } from './progress.ts';
export { counts as queueCounts, type QueueCounts } from './queue/queue.ts';
export { runWorker, type WorkerOptions, type WorkerReport } from './queue/worker.ts';
export { type SlurmOptions, SlurmOptionsSchema, slurmSettings } from './slurm/options.ts';
export { loadModule, moduleUrl, steps } from './steps.ts';
export type {
  Backend,
  ExecuteOptions,
  ExecuteSummary,
  OnFinished,
  RunFailure,
  Step,
  StepRef,
  Steps,
} from './types.ts';
