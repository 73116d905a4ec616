export type { ArtifactStore } from './artifacts/artifacts.ts';
export type { ArtifactOptions, StoredFile } from './artifacts/context.ts';
export type { DatasetInfo, DatasetRegistry, RegisterDatasetOptions } from './artifacts/datasets.ts';
export type { BlobGcOptions, BlobGcReport } from './artifacts/gc.ts';
export type { DatasetSchema, TableSchema } from './artifacts/schema.ts';
export { type CliOptions, type CliResult, cli, runCli } from './config/cli.ts';
export type { Main, RunContext } from './config/context.ts';
export { type CopyOptions, type CopyProgress, copyExperiments, type ExperimentCopyReport } from './copy/copy.ts';
export { Experiment } from './core/experiment.ts';
export { type Grid, product } from './core/grid.ts';
export { Run, type RunError, type RunStatus } from './core/run.ts';
export { Runs } from './core/runs.ts';
export type { ArtifactInfo, RunServices } from './core/services.ts';
export { type ErrorCode, isLockstepError, LockstepError } from './errors.ts';
export {
  type Backend,
  type ExecuteOptions,
  type ExecuteSummary,
  insideWorker,
  type ProgressOption,
  type ProgressSink,
  type ProgressState,
  type RunFailure,
  runWorker,
  type SlurmOptions,
  type Step,
  type StepRef,
  type Steps,
  steps,
  type WorkerOptions,
  type WorkerReport,
} from './exec/index.ts';
export { continueRun } from './lock/continue.ts';
export { type DiffRow, diffLocks } from './lock/diff.ts';
export type { DataEntry, LockLink, RepoEntry, RunLock } from './lock/format.ts';
export { type LockOptions, lock } from './lock/lock.ts';
export { type LockRecord, listLocks } from './lock/records.ts';
export { type LineageNode, lineage, resolveLock } from './lock/resolve.ts';
export { type Drift, type VerifyReport, verifyLock } from './lock/verify.ts';
export {
  createModelFile,
  fitScaler,
  MODEL_FORMAT_VERSION,
  type ModelFile,
  type ModelFileOptions,
  type Scaler,
} from './models/format.ts';
export { LoadedModel, type Prediction } from './models/loaded.ts';
export type { OnnxSchema } from './models/onnx/model.ts';
export type { ModelRegistry, ModelVersion, RegisteredModel, RegisterVersionOptions } from './models/registry.ts';
export type { Answer, ServableModel } from './models/servable.ts';
export { type ModelRef, parseModelUri } from './models/uri.ts';
export { type RemoteOptions, type SyncOptions, type SyncResult, syncOutbox } from './remote/index.ts';
export { parseFilter } from './search/parse.ts';
export {
  type CreateExperimentOptions,
  createSession,
  type ExperimentInfo,
  Session,
  type SessionOptions,
} from './session.ts';
export { CODEC_VERSION, decodeValue, encodeValue } from './store/codec.ts';
export type { Dialect, Driver, Row } from './store/driver.ts';
export type { Kind } from './store/kinds.ts';
export type { ColumnInfo, MetricPoint } from './store/store.ts';
export { VERSION } from './version.ts';
