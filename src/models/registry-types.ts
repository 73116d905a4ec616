import type { StoredFile } from '../artifacts/context.ts';
import type { ModelFormat } from './detect.ts';
import type { OnnxRecord } from './onnx/detect.ts';

/**
 * What a version takes: named numeric features (lockstep models, and ONNX
 * models given column names), and for ONNX models the recorded signature.
 */
export interface InputSchema {
  features: { name: string; type: 'number' }[];
  /** The dataset column with the right answers, when known (ONNX models: from the schema given at registration). */
  target?: string | null;
  onnx?: OnnxRecord;
}

/** One numbered version of a registered model. */
export interface ModelVersion {
  /** The version's own id (its files are the `stored_files` rows it owns). */
  id: string;
  model: string;
  version: number;
  /** What its files are: `lockstep` or `onnx` (served by `lockstep serve`), `mlflow`, `files` or `external`. */
  format: ModelFormat;
  /** Where the files came from (a run's artifacts, an MLflow URI), when the version was made from a location. */
  source: string | null;
  /** MLflow's (deprecated) stage: None, Staging, Production or Archived. */
  stage: string;
  runId: string | null;
  experimentId: string | null;
  digest: string;
  size: number;
  algorithm: string;
  inputSchema: InputSchema;
  labels: string[];
  metrics: Record<string, number>;
  tags: Record<string, string>;
  aliases: string[];
  description: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface RegisteredModel {
  name: string;
  description: string | null;
  latestVersion: number | null;
  versions: number;
  aliases: Record<string, number>;
  tags: Record<string, string>;
  createdAt: Date;
  updatedAt: Date;
}

export interface RegisterVersionOptions {
  runId?: string | null;
  experimentId?: string | null;
  metrics?: Record<string, number>;
  tags?: Record<string, string>;
  description?: string | null;
  /** Aliases to point at the new version (moved from wherever they were). */
  aliases?: string[];
}

/** A version made from files already in the blob store (an MLflow client registering a run's artifacts). */
export interface VersionFromFiles extends RegisterVersionOptions {
  /** The files, with paths relative to the model's directory. None: the version points at `source` outside lockstep. */
  files: StoredFile[];
  source?: string | null;
}
