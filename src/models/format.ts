import { LockstepError } from '../errors.ts';
import { VERSION } from '../version.ts';
import { algorithm } from './mljs.ts';

/** The model file format this build writes; it reads this version and older ones. */
export const MODEL_FORMAT_VERSION = 1;
export const MODEL_FORMAT = 'lockstep-model';

/**
 * A saved ml.js model (docs/model-file-format.md): a header saying how to
 * read it, then the model's own `toJSON()`. Plain JSON: loading it never runs
 * code, and any tool can read the header.
 */
export interface ModelFile {
  format: typeof MODEL_FORMAT;
  formatVersion: number;
  /** Which ml.js class reads `model`: random-forest, knn, logistic-regression, cart, naive-bayes. */
  algorithm: string;
  task: 'classification';
  /** Input feature names, in the column order the model was trained on; every feature is a number. */
  features: string[];
  /** Output labels: class index i predicts labels[i]. */
  labels: string[];
  /** The dataset column the labels came from, when known (used by evaluate and retrain). */
  target: string | null;
  /** The training parameters (given to the ml.js constructor), so a retrain can repeat them. */
  params: Record<string, unknown>;
  /** Standardisation applied to every input before the model sees it: (x - mean) / std, per feature. */
  scaler: Scaler | null;
  createdAt: string;
  /** The lockstep version that wrote the file. */
  lockstep: string;
  /** The ml.js model's `toJSON()`. */
  model: unknown;
}

export interface Scaler {
  mean: number[];
  std: number[];
}

export interface ModelFileOptions {
  algorithm: string;
  /** The standardisation the model was trained with, if any (see {@link fitScaler}). */
  scaler?: Scaler | null;
  features: string[];
  labels: string[];
  target?: string | null;
  params?: Record<string, unknown>;
}

/**
 * Wraps a trained ml.js model in the versioned file format.
 *
 * @example
 * ```ts
 * const knn = new KNN(X, y, { k: 5 });
 * const file = createModelFile(knn, { algorithm: 'knn', features: ['sepal_length', …], labels: ['setosa', …], params: { k: 5 } });
 * await session.models.register('iris', file, { runId: run.id, metrics: { accuracy: 0.97 } });
 * ```
 */
export function createModelFile(model: { toJSON(): unknown }, options: ModelFileOptions): ModelFile {
  algorithm(options.algorithm);
  if (!model || typeof model.toJSON !== 'function') {
    throw new LockstepError('E_INPUT', 'createModelFile: expected a trained ml.js model with a toJSON() method');
  }
  const file: ModelFile = {
    format: MODEL_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    algorithm: options.algorithm,
    task: 'classification',
    features: options.features,
    labels: options.labels.map(String),
    target: options.target ?? null,
    params: options.params ?? {},
    scaler: options.scaler ?? null,
    createdAt: new Date().toISOString(),
    lockstep: VERSION,
    // a round trip through JSON drops class instances (matrices) to the plain data ml.js loads back
    model: JSON.parse(JSON.stringify(model.toJSON())),
  };
  return checkModelFile(file, 'createModelFile');
}

/** Reads a model file's text, checking the header before anything else. */
export function parseModelFile(text: string, where: string): ModelFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new LockstepError('E_CODEC', `${where}: not a lockstep model file (invalid JSON: ${(e as Error).message})`, {
      cause: e,
    });
  }
  return checkModelFile(raw, where);
}

export function checkModelFile(raw: unknown, where: string): ModelFile {
  const bad = (why: string) => new LockstepError('E_CODEC', `${where}: not a valid lockstep model file: ${why}`);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw bad('expected a JSON object');
  const f = raw as Partial<ModelFile>;
  if (f.format !== MODEL_FORMAT) throw bad(`"format" must be "${MODEL_FORMAT}"`);
  if (typeof f.formatVersion !== 'number' || !Number.isInteger(f.formatVersion) || f.formatVersion < 1)
    throw bad('"formatVersion" must be a positive integer');
  if (f.formatVersion > MODEL_FORMAT_VERSION) {
    throw bad(
      `format version ${f.formatVersion} is newer than this lockstep reads (${MODEL_FORMAT_VERSION}); upgrade lockstep`,
    );
  }
  if (typeof f.algorithm !== 'string') throw bad('"algorithm" must be a string');
  algorithm(f.algorithm);
  const names = (v: unknown) => Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string' && s !== '');
  if (!names(f.features)) throw bad('"features" must be a non-empty list of names');
  if (new Set(f.features).size !== f.features?.length) throw bad('"features" has duplicate names');
  if (!names(f.labels)) throw bad('"labels" must be a non-empty list of names');
  if (f.model === null || typeof f.model !== 'object') throw bad('"model" must be the ml.js model JSON');
  const n = (f.features as string[]).length;
  const vec = (v: unknown) =>
    Array.isArray(v) && v.length === n && v.every((x) => typeof x === 'number' && Number.isFinite(x));
  if (f.scaler != null && !(vec(f.scaler.mean) && vec(f.scaler.std) && f.scaler.std.every((x) => x !== 0))) {
    throw bad(`"scaler" must hold "mean" and non-zero "std", ${n} numbers each`);
  }
  return {
    format: MODEL_FORMAT,
    formatVersion: f.formatVersion,
    algorithm: f.algorithm,
    task: 'classification',
    features: f.features as string[],
    labels: f.labels as string[],
    target: typeof f.target === 'string' ? f.target : null,
    params: f.params && typeof f.params === 'object' ? f.params : {},
    scaler: f.scaler ?? null,
    createdAt: typeof f.createdAt === 'string' ? f.createdAt : '',
    lockstep: typeof f.lockstep === 'string' ? f.lockstep : '',
    model: f.model,
  };
}

/** The per-feature mean and standard deviation of training rows (a constant column gets std 1). */
export function fitScaler(X: number[][]): Scaler {
  const d = X[0]?.length ?? 0;
  const mean = Array.from({ length: d }, (_, j) => X.reduce((s, r) => s + (r[j] as number), 0) / (X.length || 1));
  const std = Array.from(
    { length: d },
    (_, j) =>
      Math.sqrt(X.reduce((s, r) => s + ((r[j] as number) - (mean[j] as number)) ** 2, 0) / (X.length || 1)) || 1,
  );
  return { mean, std };
}

export function applyScaler(scaler: Scaler, X: number[][]): number[][] {
  const { mean, std } = scaler;
  return X.map((r) => r.map((v, j) => (v - (mean[j] as number)) / (std[j] as number)));
}
