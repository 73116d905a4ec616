import type { StoredFile } from '../artifacts/context.ts';
import { LockstepError } from '../errors.ts';
import { checkModelFile, type ModelFile } from './format.ts';
import type { OnnxSchema } from './onnx/model.ts';
import type { InputSchema } from './registry-types.ts';

/**
 * What a version's files are, recorded with the version (`model_versions.format`):
 * - `lockstep`: a lockstep model file (docs/model-file-format.md), which `serve` serves;
 * - `onnx`: an ONNX model, a `.onnx` file or an MLflow model directory with an `onnx` flavor, which `serve` serves;
 * - `mlflow`: an MLflow model directory (an `MLmodel` file and its flavors' files);
 * - `files`: files lockstep does not recognise;
 * - `external`: no files in lockstep: the version points at a location outside it (`source`).
 * `serve` serves the formats in {@link SERVABLE}; every version is listed and its files downloadable.
 */
export type ModelFormat = 'lockstep' | 'onnx' | 'mlflow' | 'files' | 'external';

export const SERVABLE: ReadonlySet<string> = new Set<ModelFormat>(['lockstep', 'onnx']);

/** The format of a version and what the registry records from its files. */
export interface Detected {
  format: ModelFormat;
  /** The ml.js algorithm, an ONNX model's operators, or an MLflow model's flavors (`python_function, sklearn`). */
  algorithm: string;
  inputSchema: InputSchema;
  labels: string[];
  /** The lockstep model file, when that is what the files are. */
  file?: ModelFile;
}

const NOTHING = { algorithm: '', inputSchema: { features: [] }, labels: [] };
/** Larger files are never read to find out what they are. */
const MAX_SNIFF = 64 * 1024 * 1024;

/** Reads as much of the files as it takes to know their format. */
export async function detectFormat(
  files: readonly StoredFile[],
  read: (file: StoredFile) => Promise<Buffer>,
): Promise<Detected> {
  if (files.length === 0) return { format: 'external', ...NOTHING };
  const mlmodel = files.find((f) => f.path === 'MLmodel');
  if (mlmodel && mlmodel.size <= MAX_SNIFF) {
    const meta = await parseMlmodel((await read(mlmodel)).toString('utf8'));
    if (meta?.onnx) {
      const found = await orNull(detectOnnxFiles(files, read));
      if (found) return found;
    }
    if (meta) return { format: 'mlflow', algorithm: meta.flavors.join(', '), inputSchema: meta.inputs, labels: [] };
  }
  const json = files.length === 1 ? files[0] : files.find((f) => f.path === 'model.json');
  if (json && json.size <= MAX_SNIFF && (json.path === '' || json.path.endsWith('.json'))) {
    try {
      const file = checkModelFile(JSON.parse((await read(json)).toString('utf8')), 'model');
      return {
        format: 'lockstep',
        algorithm: file.algorithm,
        inputSchema: { features: file.features.map((name) => ({ name, type: 'number' as const })) },
        labels: file.labels,
        file,
      };
    } catch (e) {
      if (!(e instanceof SyntaxError || e instanceof LockstepError)) throw e;
    }
  }
  if (files.length === 1 || files.some((f) => f.path.endsWith('.onnx'))) {
    const found = await orNull(detectOnnxFiles(files, read));
    if (found) return found;
  }
  return { format: 'files', ...NOTHING };
}

/** A detection that failed on input lockstep does not understand: the files are kept as what they are. */
function orNull(p: Promise<Detected>): Promise<Detected | null> {
  return p.catch((e) => {
    if (e instanceof LockstepError) return null;
    throw e;
  });
}

/**
 * The ONNX model among a version's files: an MLflow model directory's
 * `onnx` flavor file, the one `.onnx` file, or the one file there is. It is
 * checked and recorded with the schema's names (features default to the
 * MLflow signature's columns when they fit). Throws, saying why, when the
 * files hold no usable ONNX model.
 */
export async function detectOnnxFiles(
  files: readonly StoredFile[],
  read: (file: StoredFile) => Promise<Buffer>,
  schema: Partial<OnnxSchema> = {},
  where = 'the model',
): Promise<Detected> {
  const mlmodel = files.find((f) => f.path === 'MLmodel');
  const meta = mlmodel ? await parseMlmodel((await read(mlmodel)).toString('utf8')) : null;
  const onnxFiles = files.filter((f) => f.path.endsWith('.onnx'));
  const path =
    meta?.onnx ?? (files.length === 1 ? files[0]?.path : onnxFiles.length === 1 ? onnxFiles[0]?.path : undefined);
  const file = files.find((f) => f.path === path);
  if (!file)
    throw new LockstepError(
      'E_INPUT',
      meta?.onnx
        ? `${where}: its MLmodel names ${meta.onnx} for the onnx flavor, which is not among its files`
        : `${where} holds no ONNX model: expected a .onnx file, or an MLflow model directory whose MLmodel has an onnx flavor`,
    );
  const bytes = await read(file);
  const name = file.path || 'model.onnx';
  const signatureNames = meta?.inputs.features.map((f) => f.name) ?? [];
  // loaded on use, as the YAML parser below: neither is for every session that opens
  const { detectOnnx } = await import('./onnx/detect.ts');
  let found: Detected;
  try {
    found = detectOnnx(bytes, file.path, `${where} (${name})`, {
      ...schema,
      features: schema.features ?? signatureNames,
    });
  } catch (e) {
    // an MLflow signature that does not name the input's columns is not lockstep's to enforce
    if (schema.features || !signatureNames.length || !(e instanceof LockstepError) || e.code !== 'E_INPUT') throw e;
    found = detectOnnx(bytes, file.path, `${where} (${name})`, { ...schema, features: [] });
  }
  return meta ? { ...found, algorithm: `mlflow ${found.algorithm}` } : found;
}

const NUMERIC = new Set(['double', 'float', 'long', 'integer']);

/** An MLmodel file's flavors, and its signature's inputs when they are all numbers. */
async function parseMlmodel(
  text: string,
): Promise<{ flavors: string[]; inputs: Detected['inputSchema']; onnx: string | null } | null> {
  const { parse: parseYaml } = await import('yaml');
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch {
    return null;
  }
  const flavors = (doc as { flavors?: unknown })?.flavors;
  if (!flavors || typeof flavors !== 'object') return null;
  const inputs: Detected['inputSchema'] = { features: [] };
  try {
    const raw = (doc as { signature?: { inputs?: string } }).signature?.inputs;
    const cols = typeof raw === 'string' ? (JSON.parse(raw) as { name?: string; type?: string }[]) : [];
    if (cols.length && cols.every((c) => typeof c.name === 'string' && NUMERIC.has(c.type ?? '')))
      inputs.features = cols.map((c) => ({ name: c.name as string, type: 'number' }));
  } catch {
    // a signature lockstep cannot read is left out
  }
  // the onnx flavor names its model file (`data: model.onnx`)
  const data = (flavors as { onnx?: { data?: unknown } }).onnx?.data;
  const onnx = 'onnx' in flavors ? (typeof data === 'string' ? data : 'model.onnx') : null;
  return { flavors: Object.keys(flavors), inputs, onnx };
}

/** Why `serve` cannot serve a version, and what can be done with its files instead. */
export function unservable(v: {
  model: string;
  version: number;
  format: string;
  algorithm: string;
  source: string | null;
}): LockstepError {
  const where = `models:/${v.model}/${v.version}`;
  const what =
    v.format === 'mlflow'
      ? `an MLflow model (flavors: ${v.algorithm || 'none'}${/\bonnx\b/.test(v.algorithm) ? '; its onnx file could not be read as an ONNX model' : ''})`
      : v.format === 'external'
        ? `a reference to ${v.source ?? 'files outside lockstep'}`
        : 'files in a format lockstep does not know';
  return new LockstepError(
    'E_INPUT',
    `${where} is ${what}; lockstep serve cannot serve it (it serves lockstep model files and ONNX models, see docs/serving.md). ` +
      `Its files stay listed and downloadable: lockstep models download ${where} DIR, or MLflow's download_artifacts.`,
    { details: { name: v.model, version: v.version, format: v.format } },
  );
}
